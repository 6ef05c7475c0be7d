"""Server time of the review API at full scale on SQLite, against a trivial view as the floor.

Full scale: the real 20k testbed candidates (64 models, about 74,000 candidates), a review set of
the 20,000 annotated images with overlap 3, and three experts whose reviews of the first 19,000
images are stored already (57,000 reviews, about 210,000 verdicts, put in with bulk_create).
Each round, through Django's test client with a logged-in session and the app's middleware:
claim-next (which returns the task), the verdicts on every label, the submit, each change with
the review's version as the review page sends it; and a trivial ``login_required`` view
returning "ok". Run: ``.venv/bin/python bench/bench_review_api.py``.
"""

import statistics
import sys
import tempfile
import time
import types
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DONE_IMAGES = 19_000
WARMUP, ROUNDS = 30, 400
TARGET_MS = 30.0
TARGET_RATIO = 3.0
BATCH = 5000


def percentile(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def populate(lead, experts, review_set) -> tuple[int, int]:
    """Stored reviews of the first DONE_IMAGES images by the three experts: slots done, one
    submitted review with a verdict on every candidate and a "submit" event each."""
    from django.db import transaction
    from django.utils import timezone

    from annotator.models import Candidate
    from reviews.models import Review, ReviewEvent, ReviewStatus, Slot, SlotState, Verdict

    numbers = list(
        Slot.objects.filter(review_set=review_set, number=0, position__lt=DONE_IMAGES)
        .order_by("position")
        .values_list("image_id", flat=True)
    )
    candidates = defaultdict(list)
    for image, label in Candidate.objects.values_list("image_id", "label_id"):
        candidates[image].append(label)
    now = timezone.now()
    values = ("correct", "wrong", "wrong", "unclear")
    with transaction.atomic():
        for slot_number, expert in enumerate(experts):
            Slot.objects.filter(
                review_set=review_set, number=slot_number, position__lt=DONE_IMAGES
            ).update(state=SlotState.DONE, expert=expert, leased_until=None)
            reviews = Review.objects.bulk_create(
                (
                    Review(
                        review_set=review_set,
                        image_id=number,
                        expert=expert,
                        status=ReviewStatus.SUBMITTED,
                        started_at=now - timedelta(seconds=30 * i + 20),
                        submitted_at=now - timedelta(seconds=30 * i),
                        seconds_spent=20.0,
                    )
                    for i, number in enumerate(numbers)
                ),
                batch_size=BATCH,
            )
            Verdict.objects.bulk_create(
                (
                    Verdict(review=review, label_id=label, value=values[(label + i) % 4])
                    for i, review in enumerate(reviews)
                    for label in candidates[review.image_id]
                ),
                batch_size=BATCH,
            )
            ReviewEvent.objects.bulk_create(
                (
                    ReviewEvent(review=review, actor=expert, action="submit", after={})
                    for review in reviews
                ),
                batch_size=BATCH,
            )
    return Review.objects.count(), Verdict.objects.count()


def main() -> int:
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-review-api-") as folder:
        from fullscale import setup_django

        setup_django(folder)
        from django.conf import settings
        from django.contrib.auth.decorators import login_required
        from django.db import connection
        from django.http import HttpResponse
        from django.test import Client
        from django.test.utils import override_settings
        from django.urls import include, path

        from annotator.models import Candidate, ValImage
        from reviews.services.panel import add_panel_member
        from reviews.services.review_sets import create_review_set

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        started = time.perf_counter()
        from fullscale import import_real_testbed

        import_real_testbed()
        lead = add_panel_member(username="lead", password="bench-pass-2026", lead=True)[0]
        experts = [
            add_panel_member(username=name, password="bench-pass-2026")[0]
            for name in ("ada", "ben", "cleo")
        ]
        newcomer = add_panel_member(username="dora", password="bench-pass-2026")[0]
        review_set = create_review_set(
            name="annotated 20k",
            images=ValImage.objects.annotated_subset(),
            overlap=3,
            created_by=lead,
        )
        reviews, verdicts = populate(lead, experts, review_set)
        print(
            f"review API at full scale, SQLite: {ValImage.objects.annotated_subset().count():,} "
            f"images, {Candidate.objects.count():,} candidates, overlap 3, {reviews:,} reviews "
            f"with {verdicts:,} verdicts stored (set up in {time.perf_counter() - started:.0f} s)"
        )

        @login_required
        def floor(request):
            return HttpResponse("ok")

        # The app's URLs plus the floor, behind the same middleware; the app is not changed.
        urls = types.ModuleType("bench_review_api_urls")
        urls.urlpatterns = [path("bench/floor/", floor), path("", include("config.urls"))]
        sys.modules[urls.__name__] = urls

        results: dict[str, dict[str, list[float]]] = {}
        with override_settings(ROOT_URLCONF=urls.__name__):
            for who, expert in (("ada, 19,000 reviews done", experts[0]), ("dora, new", newcomer)):
                client = Client(HTTP_HOST="localhost")
                client.force_login(expert)
                times = defaultdict(list)
                claim_url = f"/api/review-sets/{review_set.pk}/claim/"
                for round_number in range(WARMUP + ROUNDS):
                    start = time.perf_counter()
                    response = client.get("/bench/floor/")
                    floor_time = time.perf_counter() - start
                    assert response.status_code == 200, response.content

                    start = time.perf_counter()
                    response = client.post(claim_url)
                    claim_time = time.perf_counter() - start
                    assert response.status_code == 200, response.content
                    task = response.json()
                    url = f"/api/reviews/{task['id']}"
                    body = {
                        "verdicts": {str(lb["label"]): "correct" for lb in task["labels"]},
                        "version": task["version"],
                    }

                    start = time.perf_counter()
                    response = client.put(f"{url}/verdicts/", body, content_type="application/json")
                    verdicts_time = time.perf_counter() - start
                    assert response.status_code == 200, response.content
                    submit = {"seconds_spent": 9.5, "version": response.json()["version"]}
                    start = time.perf_counter()
                    response = client.post(
                        f"{url}/submit/", submit, content_type="application/json"
                    )
                    submit_time = time.perf_counter() - start
                    assert response.status_code == 200, response.content
                    if round_number >= WARMUP:
                        times["trivial view (floor)"].append(floor_time)
                        times["claim-next + task"].append(claim_time)
                        times["verdicts"].append(verdicts_time)
                        times["submit alone"].append(submit_time)
                        times["verdicts + submit"].append(verdicts_time + submit_time)
                results[who] = times
        connection.close()

    met = True
    for who, times in results.items():
        floor_p50 = statistics.median(times["trivial view (floor)"])
        floor_p95 = percentile(times["trivial view (floor)"], 0.95)
        print(f"  expert {who}: {ROUNDS} rounds (after {WARMUP} warm-up)")
        print("    request                  p50 ms   p95 ms   p50 x floor   p95 x floor")
        for label, samples in times.items():
            p50, p95 = statistics.median(samples) * 1000, percentile(samples, 0.95) * 1000
            print(
                f"    {label:22} {p50:8.2f} {p95:8.2f} {p50 / 1000 / floor_p50:11.2f}x"
                f" {p95 / 1000 / floor_p95:12.2f}x"
            )
            if label in ("claim-next + task", "verdicts", "submit alone"):  # one request each
                met = met and p95 < TARGET_MS and p95 / 1000 / floor_p95 <= TARGET_RATIO
    print(
        f"  targets (each request's p95 under {TARGET_MS:.0f} ms and within {TARGET_RATIO:.0f}x "
        f"the trivial view's p95): {'met' if met else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
