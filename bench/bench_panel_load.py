"""A panel at full size: N concurrent experts (32 by default) against gunicorn on PostgreSQL,
replaying the real answers of the ReaL raters as their verdicts, with end-of-run checks.

Makes a scratch database of its own (dropped at the end, also on failure), migrates it, imports
the real 20k testbed candidates and makes a review set of the 20,000 annotated images with
overlap 3. gunicorn serves the app on 127.0.0.1 (a free port); each expert is a client thread
with a token and a keep-alive connection that claims the next image, saves its verdicts and
submits, for a fixed time.

Verdicts replay ReaL (Beyer et al. 2020; ``annotator/data/real_rater_answers_annotated20k.npz``,
``real.json``, provenance in ``annotator/data/SOURCES.md``): five raters answered no / maybe /
yes to each (image, label) question they were asked; expert k gives label l of image n the
answer of rater ``(k + n + l) mod 5`` among them (yes -> correct, maybe -> unclear,
no -> wrong), so each expert replays real answers and the panel's mix of verdicts is the
raters' mix. ReaL asked about 53% of the testbed's candidates (it asked nothing about images
whose models all agreed); for the others the fallback is ReaL's final label set: correct if the
label is in it, unclear if the set is empty (ReaL found no valid label), wrong otherwise.

Checks, each failing the run (exit status 1): no answer was a 5xx or a dropped connection; no
image was held by more experts than its overlap; the verdicts of every submit the server
acknowledged (200) are stored exactly once, and no other review is stored as submitted.
Prints submits/s, requests/s and p50 / p95 / p99 latency per request kind.

Run: ``.venv/bin/python bench/bench_panel_load.py [--experts 32] [--seconds 30] [--workers 3]
[--threads 4]`` (PostgreSQL on 127.0.0.1:5432 as the ``postgres`` user, or set
BENCH_PG_URL=postgres://user@host:port).
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from serving import (
    cpu_seconds,
    free_port,
    gunicorn_environment,
    latency_table,
    scratch_database,
    start_gunicorn,
    stop_gunicorn,
)

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE = f"bench_panel_{os.getpid()}"
OVERLAP = 3
KINDS = ["claim", "verdicts", "submit"]
ANSWER_VERDICTS = ("wrong", "unclear", "correct")  # ReaL's no, maybe, yes


class RealPanel:
    """The verdicts of simulated experts, replayed from the ReaL raters' answers."""

    def __init__(self):
        from releases.real_labels import REAL_ANSWERS_FILE, read_real_labels

        with np.load(REAL_ANSWERS_FILE) as answers:
            keys = answers["number"].astype(np.int64) * 1000 + answers["label"]
            counts = answers["answers"]
        self.answers = dict(zip(keys.tolist(), counts.tolist(), strict=True))
        self.real_sets = [set(labels) for labels in read_real_labels()]
        self.used = Counter()

    def verdict(self, expert: int, number: int, label: int) -> str:
        counts = self.answers.get(number * 1000 + label)
        if counts is not None:
            # The raters' answers as a list (no..., maybe..., yes...), one of them per expert.
            spread = [answer for answer, n in enumerate(counts) for _ in range(n)]
            self.used["rater answers"] += 1
            return ANSWER_VERDICTS[spread[(expert + number + label) % len(spread)]]
        self.used["fallback (ReaL set)"] += 1
        real = self.real_sets[number - 1]
        return "unclear" if not real else "correct" if label in real else "wrong"


def prepare(environment: dict[str, str], experts: int) -> tuple[int, list[str]]:
    """Migrate, import the candidates, make the review set and the experts with tokens."""
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from fullscale import import_real_testbed
    from rest_framework.authtoken.models import Token

    from annotator.models import Candidate, ValImage
    from reviews.services.panel import add_panel_member
    from reviews.services.review_sets import create_review_set

    import_real_testbed()
    call_command("createcachetable", verbosity=0)
    lead = add_panel_member(username="lead", password="bench-pass-2026", lead=True)[0]
    review_set = create_review_set(
        name="annotated 20k",
        images=ValImage.objects.annotated_subset(),
        overlap=OVERLAP,
        created_by=lead,
    )
    tokens = []
    for n in range(experts):
        expert = add_panel_member(username=f"expert{n}", password="bench-pass-2026")[0]
        tokens.append(Token.objects.create(user=expert).key)
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh tables have no planner statistics yet
    print(
        f"panel load on PostgreSQL: {ValImage.objects.annotated_subset().count():,} images, "
        f"{Candidate.objects.count():,} candidates, overlap {OVERLAP}"
    )
    connections.close_all()
    return review_set.pk, tokens


class Expert(threading.Thread):
    """One simulated expert: claim -> verdicts on every label -> submit, until the time is up.
    A failed request is recorded and the loop goes on (a claim hands back the held image)."""

    def __init__(self, n: int, port: int, token: str, review_set_id: int, panel: RealPanel):
        super().__init__()
        self.n, self.port, self.review_set_id, self.panel = n, port, review_set_id, panel
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.until = 0.0
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.claimed: list[int] = []  # image numbers handed to this expert
        self.acknowledged: list[tuple[int, dict[str, str]]] = []  # (review id, verdicts)

    def call(self, connection, kind: str, method: str, path: str, body: dict | None = None):
        start = time.perf_counter()
        connection.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=self.headers
        )
        response = connection.getresponse()
        data = response.read()
        self.latency[kind].append(time.perf_counter() - start)
        self.statuses[response.status] += 1
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return response.status, data

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            while time.perf_counter() < self.until:
                try:
                    claim = f"/api/review-sets/{self.review_set_id}/claim/"
                    status, data = self.call(connection, "claim", "POST", claim)
                    if status == 204:
                        return
                    task = json.loads(data)
                    number = task["image"]["number"]
                    self.claimed.append(number)
                    verdicts = {
                        str(row["label"]): self.panel.verdict(self.n, number, row["label"])
                        for row in task["labels"]
                    }
                    url = f"/api/reviews/{task['id']}"
                    self.call(
                        connection, "verdicts", "PUT", f"{url}/verdicts/", {"verdicts": verdicts}
                    )
                    self.call(connection, "submit", "POST", f"{url}/submit/", {"seconds_spent": 5})
                    self.acknowledged.append((task["id"], verdicts))
                except (OSError, http.client.HTTPException, RuntimeError) as exc:
                    self.failures.append(str(exc))
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        finally:
            connection.close()


def check(review_set_id: int, clients: list[Expert]) -> list[tuple[str, bool, str]]:
    """The three checks: (name, passed, figures)."""
    from django.db import connections
    from django.db.models import Count

    from reviews.models import Review, ReviewStatus, Slot, Verdict

    server_errors = sum(n for client in clients for s, n in client.statuses.items() if s >= 500)
    failures = [failure for client in clients for failure in client.failures]
    results = [
        (
            "zero 5xx",
            server_errors == 0 and not failures,
            f"{server_errors} answers 5xx, {len(failures)} failed requests"
            + "".join(f"\n      {failure}" for failure in failures[:5]),
        )
    ]
    # Held beyond the overlap: more holders in the database, or handed to more experts.
    over_in_db = (
        Slot.objects.filter(review_set_id=review_set_id, expert__isnull=False)
        .values("image_id")
        .annotate(holders=Count("expert", distinct=True))
        .filter(holders__gt=OVERLAP)
        .count()
    )
    handed = Counter(number for client in clients for number in set(client.claimed))
    over_handed = sum(1 for holders in handed.values() if holders > OVERLAP)
    results.append(
        (
            f"no image held beyond its overlap ({OVERLAP})",
            over_in_db == 0 and over_handed == 0,
            f"{len(handed):,} images handed out; over the overlap: {over_in_db} in the database, "
            f"{over_handed} by the claims answered",
        )
    )
    sent = Counter(
        (review_id, int(label), value)
        for client in clients
        for review_id, verdicts in client.acknowledged
        for label, value in verdicts.items()
    )
    acknowledged = {review_id for client in clients for review_id, _ in client.acknowledged}
    submitted = set(
        Review.objects.filter(
            review_set_id=review_set_id, status=ReviewStatus.SUBMITTED
        ).values_list("pk", flat=True)
    )
    stored = Counter(
        Verdict.objects.filter(review_id__in=submitted).values_list(
            "review_id", "label_id", "value"
        )
    )
    results.append(
        (
            "every acknowledged verdict stored exactly once",
            stored == sent and submitted == acknowledged and max(stored.values(), default=1) == 1,
            f"{len(acknowledged):,} submits acknowledged, {len(submitted):,} stored as submitted; "
            f"{sum(sent.values()):,} verdicts acknowledged, {sum(stored.values()):,} stored, "
            f"{sum((sent - stored).values())} missing, {sum((stored - sent).values())} unexpected",
        )
    )
    connections.close_all()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experts", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    options = parser.parse_args()
    environment = gunicorn_environment()
    with scratch_database(SERVER, DATABASE) as url:
        environment["DATABASE_URL"] = url
        review_set_id, tokens = prepare(environment, options.experts)
        panel = RealPanel()
        port = free_port()
        server = start_gunicorn(port, environment, workers=options.workers, threads=options.threads)
        print(
            f"  {options.experts} experts for {options.seconds:.0f} s; gunicorn "
            f"{options.workers} workers x {options.threads} threads; {os.cpu_count()} CPUs"
        )
        try:
            clients = [
                Expert(n, port, token, review_set_id, panel) for n, token in enumerate(tokens)
            ]
            # Warm-up: every worker imports the app and opens its connection before the clock.
            for client in clients:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("GET", "/api/review-sets/", headers=client.headers)
                connection.getresponse().read()
                connection.close()
            cpu_before, started = cpu_seconds(server), time.perf_counter()
            for client in clients:
                client.until = started + options.seconds
                client.start()
            for client in clients:
                client.join()
            elapsed = time.perf_counter() - started
            server_cpu = cpu_seconds(server) - cpu_before
        finally:
            stop_gunicorn(server)

        submits = sum(len(client.acknowledged) for client in clients)
        requests = sum(sum(client.statuses.values()) for client in clients)
        print(
            f"  {submits:,} submits in {elapsed:.1f} s: {submits / elapsed:.1f} submits/s, "
            f"{requests / elapsed:.1f} requests/s; gunicorn used {server_cpu:.1f} CPU s"
        )
        latency = defaultdict(list)
        for client in clients:
            for kind, samples in client.latency.items():
                latency[kind] += samples
        print("\n".join(latency_table(latency, KINDS)))
        print(
            "  verdicts from "
            + ", ".join(f"{source}: {n:,}" for source, n in sorted(panel.used.items()))
        )
        results = check(review_set_id, clients)
        for name, passed, figures in results:
            print(f"  {'ok  ' if passed else 'FAIL'} {name}: {figures}")
    return 0 if all(passed for _, passed, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
