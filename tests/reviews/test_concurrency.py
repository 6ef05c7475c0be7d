"""Many experts claiming at the same moment through the API, each thread on its own database
connection: no image gets more holders than its overlap, no expert two slots of one image, and
every submitted verdict is stored exactly once."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from annotator.models import ValImage
from reviews.models import Review, ReviewStatus, Slot, SlotState, Verdict
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from tests.factories import make_candidates

EXPERTS = 12
IMAGES = 24
VALUES = ("correct", "wrong", "unclear")


def review_until_done(client: Client, review_set_id: int, start: threading.Barrier, log: list):
    """One expert's session: claim, judge every label, submit, until nothing is left."""
    user = client.expert
    try:
        start.wait(timeout=30)
        while True:
            response = client.post(f"/api/review-sets/{review_set_id}/claim/")
            if response.status_code == 204:
                return
            assert response.status_code == 200, response.content
            task = response.json()
            verdicts = {
                str(label["label"]): VALUES[(user.pk + label["label"]) % 3]
                for label in task["labels"]
            }
            url = f"/api/reviews/{task['id']}"
            response = client.put(
                f"{url}/verdicts/", {"verdicts": verdicts}, content_type="application/json"
            )
            assert response.status_code == 200, response.content
            response = client.post(f"{url}/submit/", {"seconds_spent": 1})
            assert response.status_code == 200, response.content
            log.append((user.username, task["image"]["number"], task["id"], verdicts))
    except BaseException as exc:  # reported by the main thread
        log.append(exc)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("overlap", [1, 2])
def test_experts_claiming_at_once_never_exceed_the_overlap_and_lose_no_verdict(catalogue, overlap):
    lead = add_panel_member(username="lead", password="lead-pass-2026", lead=True)[0]
    experts = [
        add_panel_member(username=f"expert{n}", password="expert-pass-2026")[0]
        for n in range(EXPERTS)
    ]
    images = list(ValImage.objects.annotated_subset().order_by("number")[:IMAGES])
    for n, image in enumerate(images):
        make_candidates(image, {image.original_label_id: 30, (n * 7) % 1000: 5, 999 - n: 2})
    review_set = create_review_set(
        name=f"race {overlap}",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=overlap,
        created_by=lead,
    )
    clients = []
    for expert in experts:
        client = Client()
        client.force_login(expert)
        client.expert = expert
        clients.append(client)
    start, log = threading.Barrier(EXPERTS), []
    threads = [
        threading.Thread(target=review_until_done, args=(client, review_set.pk, start, log))
        for client in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    errors = [entry for entry in log if isinstance(entry, BaseException)]
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    # Every claim handed out was a distinct holder: never more than the overlap per image.
    holders = Counter(number for _, number, _, _ in log)
    assert holders == {image.number: overlap for image in images}
    assert len({(expert, number) for expert, number, _, _ in log}) == len(log)
    assert Slot.objects.filter(review_set=review_set, state=SlotState.DONE).count() == (
        IMAGES * overlap
    )
    per_image = Counter(
        Slot.objects.filter(review_set=review_set).values_list("image_id", "expert_id")
    )
    assert max(per_image.values()) == 1
    assert Review.objects.filter(status=ReviewStatus.SUBMITTED).count() == IMAGES * overlap
    stored = Counter(Verdict.objects.values_list("review_id", "label_id", "value"))
    sent = Counter(
        (review_id, int(label), value)
        for _, _, review_id, verdicts in log
        for label, value in verdicts.items()
    )
    assert stored == sent
    assert max(stored.values()) == 1
