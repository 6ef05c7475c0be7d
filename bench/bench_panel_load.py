"""A panel at full size: 8, 32 and 64 concurrent experts in turn (``--levels``) against gunicorn
on PostgreSQL, replaying the real answers of the ReaL raters as their verdicts, with end-of-run
checks at every level.

Makes a scratch database of its own (dropped at the end, also on failure), migrates it and imports
the real 20k testbed candidates. Each level gets a review set of its own, of the 20,000 annotated
images with overlap 3, so that every level starts from an untouched queue. gunicorn serves the app
on 127.0.0.1 (a free port); each expert is a client thread with a token and a keep-alive
connection that claims the next image, saves its verdicts and submits, for a fixed time.

Verdicts replay ReaL (Beyer et al. 2020; ``annotator/data/real_rater_answers_annotated20k.npz``,
``real.json``, provenance in ``annotator/data/SOURCES.md``): five raters answered no / maybe /
yes to each (image, label) question they were asked; expert k gives label l of image n the
answer of rater ``(k + n + l) mod 5`` among them (yes -> correct, maybe -> unclear,
no -> wrong), so each expert replays real answers and the panel's mix of verdicts is the
raters' mix. ReaL asked about 53% of the testbed's candidates (it asked nothing about images
whose models all agreed); for the others the fallback is ReaL's final label set: correct if the
label is in it, unclear if the set is empty (ReaL found no valid label), wrong otherwise.

Checks at every level, each failing the run (exit status 1): no answer was a 5xx or a dropped
connection; no image was held by more experts than its overlap; the verdicts of every submit the
server acknowledged (200) are stored exactly once, and no other review is stored as submitted.
Prints per level submits/s, requests/s, p50 / p95 / p99 latency per request kind, the CPU
time per submit of gunicorn, of PostgreSQL (the sessions working in the scratch database, from
pg_stat_activity and /proc; not the server's shared background processes, nor other databases'
sessions) and of the clients, and how many PostgreSQL sessions were waiting for a lock (looked at
every 0.1 s); then a table of the levels and the claims' p99 at the most experts against the
fewest (the goal: within 3x, that is, claims do not queue behind each other as the panel grows).

By default the experts do not stop to think: each level is as much load as its experts can make,
and the machine is saturated from the first level on, so every request waits longer the more
experts there are (Little's law), whatever the claims do. ``--think S`` has each expert look at
each image for S seconds on average (between 0.5 S and 1.5 S, drawn per expert) between the claim
and the verdicts, as people do: with enough S the largest level stays below what the server can
serve, and what grows with the panel is only what the experts do to each other.

Run: ``.venv/bin/python bench/bench_panel_load.py [--levels 8,32,64] [--seconds 20] [--think 0]
[--workers 3] [--threads 4]`` (PostgreSQL on 127.0.0.1:5432 as the ``postgres`` user, or set
BENCH_PG_URL=postgres://user@host:port).
"""

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from serving import (
    DatabaseSampler,
    cpu_seconds,
    free_port,
    gunicorn_environment,
    latency_table,
    percentile,
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


def prepare(environment: dict[str, str], experts: int) -> tuple:
    """Migrate, import the candidates, make the lead and the experts with tokens."""
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

    import_real_testbed()
    call_command("createcachetable", verbosity=0)
    lead = add_panel_member(username="lead", password="bench-pass-2026", lead=True)[0]
    tokens = []
    for n in range(experts):
        expert = add_panel_member(username=f"expert{n}", password="bench-pass-2026")[0]
        tokens.append(Token.objects.create(user=expert).key)
    print(
        f"panel load on PostgreSQL: {ValImage.objects.annotated_subset().count():,} images, "
        f"{Candidate.objects.count():,} candidates, overlap {OVERLAP}"
    )
    connections.close_all()
    return lead, tokens


def new_review_set(lead, name: str) -> int:
    """A review set of the 20,000 annotated images, every slot open."""
    from django.db import connections

    from annotator.models import ValImage
    from reviews.services.review_sets import create_review_set

    review_set = create_review_set(
        name=f"annotated 20k, {name}",
        images=ValImage.objects.annotated_subset(),
        overlap=OVERLAP,
        created_by=lead,
    )
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh rows have no planner statistics yet (no autovacuum)
    connections.close_all()
    return review_set.pk


class Expert(threading.Thread):
    """One simulated expert: claim -> verdicts on every label -> submit, until the time is up.
    A failed request is recorded and the loop goes on (a claim hands back the held image)."""

    def __init__(
        self, n: int, port: int, token: str, review_set_id: int, panel: RealPanel, think: float = 0
    ):
        super().__init__()
        self.n, self.port, self.review_set_id, self.panel = n, port, review_set_id, panel
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.until = 0.0
        self.think, self.pause = think, random.Random(n)  # seconds looking at each image
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
                    if self.think:
                        time.sleep(self.think * self.pause.uniform(0.5, 1.5))
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


@dataclass
class Level:
    """What one level of the run measured."""

    experts: int
    submits_per_second: float
    claim: list[float]  # the claims' latencies, in seconds
    submit: list[float]  # the submits'
    waiting: float  # PostgreSQL sessions waiting for a lock, on average
    gunicorn_cpu: float  # CPU seconds per submit
    postgres_cpu: float
    passed: bool


def levels(text: str) -> list[int]:
    try:
        counts = [int(count) for count in text.split(",")]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: numbers of experts, as 8,32,64") from exc
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: at least one expert per level")
    return counts


def run_level(
    server, port: int, lead, tokens: list[str], seconds: float, think: float, warm_up_set_id: int
) -> Level:
    """One level: a fresh review set, ``len(tokens)`` experts for ``seconds``, the checks."""
    experts = len(tokens)
    review_set_id = new_review_set(lead, f"{experts} experts")
    panel = RealPanel()
    clients = [
        Expert(n, port, token, review_set_id, panel, think) for n, token in enumerate(tokens)
    ]
    # Warm-up, on a set of its own: every worker has imported the app, opened its connection
    # and read the class cards before the clock.
    warm = [Expert(n, port, token, warm_up_set_id, panel) for n, token in enumerate(tokens)]
    for client in warm:
        client.until = time.perf_counter() + 2
        client.start()
    for client in warm:
        client.join()
    panel.used.clear()
    sampler = DatabaseSampler(SERVER, DATABASE)
    sampler.start()
    server_before, clients_before = cpu_seconds(server), time.process_time()
    started = time.perf_counter()
    for client in clients:
        client.until = started + seconds
        client.start()
    for client in clients:
        client.join()
    elapsed = time.perf_counter() - started
    server_cpu = cpu_seconds(server) - server_before
    clients_cpu = time.process_time() - clients_before
    sampler.stop()
    postgres_cpu = sampler.cpu_seconds

    submits = sum(len(client.acknowledged) for client in clients)
    requests = sum(sum(client.statuses.values()) for client in clients)
    per_submit = max(submits, 1)
    print(
        f"{experts} experts for {seconds:.0f} s"
        + (f", looking at each image for {think:g} s on average" if think else "")
    )
    print(
        f"  {submits:,} submits in {elapsed:.1f} s: {submits / elapsed:.1f} submits/s, "
        f"{requests / elapsed:.1f} requests/s"
    )
    print(
        f"  CPU per submit: gunicorn {1000 * server_cpu / per_submit:.1f} ms "
        f"({server_cpu:.1f} s), PostgreSQL {1000 * postgres_cpu / per_submit:.1f} ms "
        f"({postgres_cpu:.1f} s in {sampler.sessions} sessions), clients "
        f"{1000 * clients_cpu / per_submit:.1f} ms ({clients_cpu:.1f} s); "
        f"{os.cpu_count() * elapsed:.0f} CPU s in the run"
    )
    print(
        f"  PostgreSQL sessions, looked at {sampler.looks} times: "
        f"{sampler.active / max(sampler.looks, 1):.1f} running a statement and "
        f"{sampler.waiting / max(sampler.looks, 1):.2f} waiting for a lock on average, "
        f"at most {sampler.most_waiting} waiting at once"
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
    return Level(
        experts,
        submits / elapsed,
        latency["claim"],
        latency["submit"],
        sampler.waiting / max(sampler.looks, 1),
        server_cpu / per_submit,
        postgres_cpu / per_submit,
        all(passed for _, passed, _ in results),
    )


def summary(measured: list[Level]) -> list[str]:
    """The levels side by side, and the claims' p99 at the most experts against the fewest."""
    lines = [
        "experts  submits/s  claim p50 ms  p95 ms  p99 ms  submit p99 ms  waiting for a lock"
        "  CPU ms/submit: gunicorn  PostgreSQL"
    ]
    for level in measured:
        p50, p95, p99 = (1000 * percentile(level.claim, q) for q in (0.5, 0.95, 0.99))
        lines.append(
            f"{level.experts:7}  {level.submits_per_second:9.1f}  {p50:12.1f}  {p95:6.1f}  "
            f"{p99:6.1f}  {1000 * percentile(level.submit, 0.99):13.1f}  {level.waiting:18.2f}"
            f"  {1000 * level.gunicorn_cpu:23.1f}  {1000 * level.postgres_cpu:10.1f}"
        )
    fewest = min(measured, key=lambda level: level.experts)
    most = max(measured, key=lambda level: level.experts)
    if most.experts > fewest.experts:
        ratio = percentile(most.claim, 0.99) / max(percentile(fewest.claim, 0.99), 1e-9)
        lines.append(
            f"claim p99 at {most.experts} experts is {ratio:.1f}x its p99 at {fewest.experts}: "
            f"{'within' if ratio <= 3 else 'NOT within'} the goal of 3x"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--levels", type=levels, default=[8, 32, 64], help="numbers of experts, one run each"
    )
    parser.add_argument("--seconds", type=float, default=20, help="the length of each level")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument(
        "--think", type=float, default=0, help="seconds an expert looks at an image, on average"
    )
    options = parser.parse_args()
    environment = gunicorn_environment()
    with scratch_database(SERVER, DATABASE) as url:
        environment["DATABASE_URL"] = url
        lead, tokens = prepare(environment, max(options.levels))
        warm_up_set_id = new_review_set(lead, "warm-up")
        port = free_port()
        server = start_gunicorn(port, environment, workers=options.workers, threads=options.threads)
        print(
            f"gunicorn {options.workers} workers x {options.threads} threads; "
            f"{os.cpu_count()} CPUs; levels of {', '.join(map(str, options.levels))} experts"
        )
        try:
            measured = [
                run_level(
                    server,
                    port,
                    lead,
                    tokens[:experts],
                    options.seconds,
                    options.think,
                    warm_up_set_id,
                )
                for experts in options.levels
            ]
        finally:
            stop_gunicorn(server)
        print("\n".join(summary(measured)))
    return 0 if all(level.passed for level in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
