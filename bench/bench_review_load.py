"""Submits per second with 8 concurrent experts against gunicorn on PostgreSQL.

Makes a scratch database of its own (dropped at the end, also on failure), migrates it, imports
the real 20k testbed candidates and makes a review set of the 20,000 annotated images with
overlap 3. Then gunicorn serves the app on 127.0.0.1 (a free port) as `make serve` does (sync
workers, 2 x cores + 1; BENCH_WORKERS and BENCH_THREADS change that), and 8 client threads, each an
expert with a token and its own HTTP connection, loop for a fixed time over one of two cycles:

- claim -> submit carrying the verdicts (what an API client does: two requests an image);
- claim -> verdicts -> submit (as the review page does, which saves verdicts as they are made).

Prints submits/s, where the machine's CPU went (gunicorn, PostgreSQL, the clients), latency
percentiles per request and the errors; then checks that no image got more holders than its
overlap and that every submitted review kept its verdicts. The target is judged on the first.

Run: ``.venv/bin/python bench/bench_review_load.py`` (PostgreSQL on 127.0.0.1:5432 as the
``postgres`` user, or set BENCH_PG_URL=postgres://user@host:port).
"""

import http.client
import json
import os
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from serving import (
    cpu_seconds,
    free_port,
    gunicorn_environment,
    latency_table,
    postgres_cpu_seconds,
    scratch_database,
    start_gunicorn,
    stop_gunicorn,
)

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE = f"bench_reviews_{os.getpid()}"
CLIENTS = 8
SECONDS = float(os.environ.get("BENCH_SECONDS", 20))
# As `make serve` runs it (config/gunicorn.conf.py): 2 x cores + 1 sync workers.
WORKERS = int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1))
THREADS = int(os.environ.get("BENCH_THREADS", 1))
TARGET_SUBMITS = 150


def prepare(environment: dict[str, str]) -> tuple[int, list[str]]:
    """Migrate, import the candidates, make the review set and eight experts with tokens."""
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections
    from fullscale import import_real_testbed
    from rest_framework.authtoken.models import Token

    from annotator.models import Candidate, ValImage
    from reviews.services.panel import add_panel_member
    from reviews.services.review_sets import create_review_set

    import_real_testbed()
    lead = add_panel_member(username="lead", password="bench-pass-2026", lead=True)[0]
    review_set = create_review_set(
        name="annotated 20k", images=ValImage.objects.annotated_subset(), overlap=3, created_by=lead
    )
    tokens = []
    for n in range(CLIENTS):
        expert = add_panel_member(username=f"expert{n}", password="bench-pass-2026")[0]
        tokens.append(Token.objects.create(user=expert).key)
    # Fresh tables have no statistics until autovacuum gets to them; without them the planner
    # walks all 60,000 slots for every claim.
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"review load on PostgreSQL: {ValImage.objects.annotated_subset().count():,} images, "
        f"{Candidate.objects.count():,} candidates, overlap 3; gunicorn {WORKERS} "
        f"{'sync workers' if THREADS == 1 else f'workers x {THREADS} threads'}; {CLIENTS} clients "
        f"for {SECONDS:.0f} s"
    )
    connections.close_all()
    return review_set.pk, tokens


def check(review_set_id: int) -> str:
    """After the run: nobody over the overlap, no verdict lost."""
    from django.db import connections
    from django.db.models import Count

    from reviews.models import Review, ReviewStatus, Slot

    over = (
        Slot.objects.filter(review_set_id=review_set_id, expert__isnull=False)
        .values("image_id")
        .annotate(holders=Count("expert", distinct=True))
        .filter(holders__gt=3)
        .count()
    )
    empty = (
        Review.objects.filter(status=ReviewStatus.SUBMITTED)
        .annotate(n=Count("verdicts"))
        .filter(n=0)
        .count()
    )
    submitted = Review.objects.filter(status=ReviewStatus.SUBMITTED).count()
    connections.close_all()
    return (
        f"{submitted:,} reviews submitted; images over their overlap: {over}; "
        f"submitted reviews without verdicts: {empty}"
    )


class Expert(threading.Thread):
    """One client: claim, then verdicts on every label and submit, until the time is up; the
    verdicts go with the submit (``separate_verdicts`` False) or in a request of their own."""

    def __init__(
        self, port: int, token: str, review_set_id: int, until: float, separate_verdicts: bool
    ):
        super().__init__()
        self.port, self.review_set_id, self.until = port, review_set_id, until
        self.separate_verdicts = separate_verdicts
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.submits = 0

    def call(self, connection, method: str, path: str, body: dict | None = None):
        start = time.perf_counter()
        connection.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=self.headers
        )
        response = connection.getresponse()
        data = response.read()
        self.latency[path.rstrip("/").rsplit("/", 1)[-1]].append(time.perf_counter() - start)
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return response.status, data

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            while time.perf_counter() < self.until:
                try:
                    status, data = self.call(
                        connection, "POST", f"/api/review-sets/{self.review_set_id}/claim/"
                    )
                    if status == 204:
                        return
                    task = json.loads(data)
                    verdicts = {
                        str(label["label"]): ("correct" if n == 0 else "wrong")
                        for n, label in enumerate(task["labels"])
                    }
                    url = f"/api/reviews/{task['id']}"
                    # Each change carries the review's version, as the review page sends it.
                    submit = {"seconds_spent": 5, "version": task["version"]}
                    if self.separate_verdicts:
                        _, saved = self.call(
                            connection,
                            "PUT",
                            f"{url}/verdicts/",
                            {"verdicts": verdicts, "version": task["version"]},
                        )
                        submit["version"] = json.loads(saved)["version"]
                    else:
                        submit["verdicts"] = verdicts
                    self.call(connection, "POST", f"{url}/submit/", submit)
                    self.submits += 1
                except (OSError, http.client.HTTPException, RuntimeError) as exc:
                    self.errors.append(str(exc))
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        finally:
            connection.close()


CYCLES = (
    ("claim -> submit with the verdicts", False),
    ("claim -> verdicts -> submit", True),
)


def main() -> int:
    environment = gunicorn_environment()
    met = True
    with scratch_database(SERVER, DATABASE) as url:
        environment["DATABASE_URL"] = url
        review_set_id, tokens = prepare(environment)
        server = start_gunicorn(
            free_port(),
            environment,
            workers=WORKERS,
            threads=THREADS,
            worker_class="sync" if THREADS == 1 else "gthread",
        )
        try:
            for number, (name, separate) in enumerate(CYCLES):
                print(f"cycle {number + 1}: {name}")
                run = drive(server, tokens, review_set_id, separate)
                met = report(*run, judged=number == 0) and met
        finally:
            stop_gunicorn(server)
        print(f"  {check(review_set_id)}")
    print(
        f"target (at least {TARGET_SUBMITS} submits/s with zero errors, cycle 1): "
        f"{'met' if met else 'MISSED'}"
    )
    return 0


def drive(server, tokens: list[str], review_set_id: int, separate: bool) -> tuple:
    port = int(server.args[server.args.index("--bind") + 1].rsplit(":", 1)[1])
    # A short warm-up so that every worker has imported the app and opened its connection.
    warm = [Expert(port, t, review_set_id, time.perf_counter() + 2, separate) for t in tokens]
    for client in warm:
        client.start()
    for client in warm:
        client.join()
    cpu = (cpu_seconds(server), postgres_cpu_seconds(), time.process_time())
    started = time.perf_counter()
    clients = [Expert(port, t, review_set_id, started + SECONDS, separate) for t in tokens]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    elapsed = time.perf_counter() - started
    used = (cpu_seconds(server), postgres_cpu_seconds(), time.process_time())
    return clients, elapsed, [after - before for before, after in zip(cpu, used, strict=True)]


def report(clients: list, elapsed: float, cpu: list[float], *, judged: bool) -> bool:
    submits = sum(client.submits for client in clients)
    errors = [error for client in clients for error in client.errors]
    print(f"  {submits:,} submits in {elapsed:.1f} s: {submits / elapsed:.1f} submits/s")
    per_submit = [f"{1000 * seconds / max(submits, 1):.1f}" for seconds in cpu]
    print(
        f"  CPU ({os.cpu_count()} cores, {os.cpu_count() * elapsed:.0f} CPU s in the run): "
        f"gunicorn {cpu[0]:.1f} s, PostgreSQL {cpu[1]:.1f} s, clients {cpu[2]:.1f} s; "
        f"per submit {' / '.join(per_submit)} ms"
    )
    latency = defaultdict(list)
    for client in clients:
        for name, samples in client.latency.items():
            latency[name] += samples
    print(
        "\n".join(
            latency_table(latency, [n for n in ("claim", "verdicts", "submit") if n in latency])
        )
    )
    print(f"  errors: {len(errors)}" + "".join(f"\n    {e}" for e in errors[:10]))
    return not judged or (submits / elapsed >= TARGET_SUBMITS and not errors)


if __name__ == "__main__":
    sys.exit(main())
