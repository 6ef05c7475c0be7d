"""Hostile uploads against gunicorn: N parallel clients send bad predictions files to score
(`POST /api/releases/<version>/evaluate/`) while one expert makes ordinary requests.

Makes a scratch PostgreSQL database of its own (dropped at the end, also on failure), migrates
it and makes release 1.0.0 of the 20,000 annotated images labelled from ReaL (as the demo's
0.9.0). gunicorn runs as `make serve` runs it: 2 x cores + 1 sync workers. The hostile files,
each sent whole (the upload limit is 64 MB):

- 63 MB of blank lines after a CSV header (the finding: it held a worker 20-36 s);
- 63 MB of blank lines named .jsonl;
- 19 MB of blank lines after a CSV header, under the size the release's rows allow, so that
  the reader meets them line by line;
- JSON Lines nested 100,000 deep, and one 63 MB line of `[`;
- a .npy whose header declares shape (10**12,), followed by 63 MB of zeros.

First the expert alone for `--seconds` (the floor), then the same requests for as long with
the uploads. Prints the expert's p50 / p95 latency in both phases, the uploads' statuses, and
the longest time an upload held a worker (gunicorn's own request time, from its access log:
reading the body, parsing, answering). The per-user upload throttle is lifted for the run
(ANNOTATOR_UPLOAD_RATE), so every upload reaches the reader: the worst case, as if each came
from another account. Exits non-zero if an upload was answered other than 400 or held a
worker longer than `--limit` seconds.

Run: ``.venv/bin/python bench/bench_hostile_uploads.py [--uploaders 10] [--seconds 20]``
(PostgreSQL on 127.0.0.1:5432 as the ``postgres`` user, or set BENCH_PG_URL).
"""

import argparse
import contextlib
import http.client
import io
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from serving import (
    free_port,
    gunicorn_environment,
    percentile,
    scratch_database,
    start_gunicorn,
    stop_gunicorn,
)

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE = f"bench_hostile_{os.getpid()}"
VERSION = "1.0.0"
MB = 1024 * 1024
UPLOADERS = [10]  # set from --uploaders
EXPERT_PATHS = [
    "/api/releases/",
    f"/api/releases/{VERSION}/",
    "/api/classes/?q=terrier",
    "/api/images/?label=65",
    "/api/images/65/",
    "/api/models/",
]


def hostile_files() -> dict[str, tuple[str, bytes]]:
    """kind -> (file name, content)."""
    from numpy.lib import format as npy_format

    header = io.BytesIO()
    npy_format.write_array_header_1_0(
        header, {"descr": "<i8", "fortran_order": False, "shape": (10**12,)}
    )
    deep = b'{"file_name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    return {
        "blank csv 63 MB": ("blank.csv", b"file_name,label\n" + b"\n" * (63 * MB)),
        "blank jsonl 63 MB": ("blank.jsonl", b"\n" * (63 * MB)),
        "blank csv 19 MB": ("blank19.csv", b"file_name,label\n" + b"\n" * (19 * MB)),
        "nested json": ("deep.jsonl", deep),
        "one 63 MB line": ("line.jsonl", b"{" + b"[" * (63 * MB)),
        "huge-shape npy": ("huge.npy", header.getvalue() + bytes(63 * MB)),
    }


def multipart(file_name: str, content: bytes) -> tuple[bytes, str]:
    boundary = "benchboundary7MA4YWxkTrZu0gW"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="predictions"; filename="{file_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + content + tail, f"multipart/form-data; boundary={boundary}"


def prepare(environment: dict[str, str], uploaders: int) -> tuple[str, list[str]]:
    """Migrate, make the release, an expert and the uploaders with tokens."""
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from rest_framework.authtoken.models import Token

    from releases.services.real_release import import_real_release
    from reviews.services.panel import add_panel_member

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    release = import_real_release(version=VERSION)
    expert = add_panel_member(username="expert", password="bench-pass-2026")[0]
    tokens = [Token.objects.create(user=expert).key]
    for n in range(uploaders):
        user = add_panel_member(username=f"uploader{n}", password="bench-pass-2026")[0]
        tokens.append(Token.objects.create(user=user).key)
    print(f"hostile uploads on PostgreSQL: release {VERSION} of {release.image_count:,} images")
    connections.close_all()
    return tokens[0], tokens[1:]


class Expert(threading.Thread):
    """Ordinary requests one after another until ``until``, each timed."""

    def __init__(self, port: int, token: str, until: float):
        super().__init__()
        self.port, self.token, self.until = port, token, until
        self.latency: list[float] = []
        self.by_path: dict[str, list[float]] = {path: [] for path in EXPERT_PATHS}
        self.statuses: Counter = Counter()

    def run(self) -> None:
        n = 0
        while time.perf_counter() < self.until:
            path = EXPERT_PATHS[n % len(EXPERT_PATHS)]
            n += 1
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            started = time.perf_counter()
            connection.request("GET", path, headers={"Authorization": f"Token {self.token}"})
            response = connection.getresponse()
            response.read()
            self.latency.append(time.perf_counter() - started)
            self.by_path[path].append(self.latency[-1])
            self.statuses[response.status] += 1
            connection.close()


class Uploader(threading.Thread):
    """Hostile uploads one after another until ``until``, going round the kinds."""

    def __init__(self, n, port, token, until, bodies):
        super().__init__()
        self.n, self.port, self.token, self.until, self.bodies = n, port, token, until, bodies
        self.results: list[tuple[str, int, float, str]] = []

    def run(self) -> None:
        kinds = list(self.bodies)
        i = self.n
        while time.perf_counter() < self.until:
            kind = kinds[i % len(kinds)]
            i += 1
            body, content_type = self.bodies[kind]
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            started = time.perf_counter()
            try:
                # Answered before the body was read (a 413): the answer is there all the same.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    connection.request(
                        "POST",
                        f"/api/releases/{VERSION}/evaluate/",
                        body=body,
                        headers={
                            "Authorization": f"Token {self.token}",
                            "Content-Type": content_type,
                        },
                    )
                response = connection.getresponse()
                text = response.read()
                status = response.status
                detail = json.loads(text).get("detail", "") if text[:1] == b"{" else ""
            except (OSError, http.client.HTTPException) as exc:  # recorded, not fatal
                status, detail = 0, f"{type(exc).__name__}: {exc}"
            self.results.append((kind, status, time.perf_counter() - started, detail))
            connection.close()


def expert_phase(port: int, token: str, seconds: float) -> Expert:
    expert = Expert(port, token, time.perf_counter() + seconds)
    expert.start()
    expert.join()
    return expert


def uploads_phase(port, expert_token, tokens, bodies, seconds) -> tuple[Expert, list[Uploader]]:
    """The expert's requests while every uploader sends hostile files, for ``seconds``."""
    until = time.perf_counter() + seconds
    uploaders = [
        Uploader(n, port, tokens[n % len(tokens)], until, bodies) for n in range(UPLOADERS[0])
    ]
    for uploader in uploaders:
        uploader.start()
    expert = expert_phase(port, expert_token, seconds)
    for uploader in uploaders:
        uploader.join()
    return expert, uploaders


def worker_times(log: Path) -> list[tuple[str, int, float]]:
    """(path, status, seconds) of every request in gunicorn's access log."""
    rows = []
    for line in log.read_text().splitlines():
        path, status, seconds = line.rsplit(" ", 2)
        rows.append((path, int(status), float(seconds)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploaders", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--warm-up", type=float, default=10, help="seconds, not measured")
    parser.add_argument(
        "--accounts", type=int, default=0, help="uploaders' user accounts (one each by default)"
    )
    parser.add_argument(
        "--rate",
        default="100000/minute",
        help="ANNOTATOR_UPLOAD_RATE; lifted by default so that every upload reaches the reader",
    )
    parser.add_argument("--limit", type=float, default=2.0, help="longest hold allowed (s)")
    options = parser.parse_args()
    UPLOADERS[0] = options.uploaders
    log = Path(tempfile.mkdtemp(prefix="bench-hostile-")) / "access.log"
    environment = gunicorn_environment(
        ANNOTATOR_UPLOAD_RATE=options.rate,
        # gunicorn's own time per request (%(L)s, seconds), to tell how long a worker was held.
        GUNICORN_CMD_ARGS=f"--access-logfile {log} --access-logformat '%(U)s %(s)s %(L)s'",
    )
    bodies = {kind: multipart(*file) for kind, file in hostile_files().items()}
    with scratch_database(SERVER, DATABASE) as url:
        environment["DATABASE_URL"] = url
        expert_token, tokens = prepare(environment, options.accounts or options.uploaders)
        port = free_port()
        server = start_gunicorn(port, environment, workers=options.workers, worker_class="sync")
        print(
            f"  gunicorn {options.workers} sync workers; {os.cpu_count()} CPUs; "
            f"{options.uploaders} uploaders, {options.seconds:.0f} s per phase"
        )
        try:
            # Warm-up, not measured: every worker's first requests load what a process keeps
            # (about 2 s each); then the access log starts afresh.
            uploads_phase(port, expert_token, tokens, bodies, options.warm_up)
            log.write_text("")
            floor = expert_phase(port, expert_token, options.seconds)
            loaded, uploaders = uploads_phase(port, expert_token, tokens, bodies, options.seconds)
        finally:
            stop_gunicorn(server)

    results = [row for uploader in uploaders for row in uploader.results]
    held = [(s, code) for path, code, s in worker_times(log) if path.endswith("/evaluate/")]
    longest = max((s for s, _ in held), default=0.0)
    print("  expert          requests   p50 ms   p95 ms   max ms")
    for name, phase in (("alone (floor)", floor), ("with uploads", loaded)):
        print(
            f"  {name:15} {len(phase.latency):8,} {percentile(phase.latency, 0.5) * 1000:8.1f}"
            f" {percentile(phase.latency, 0.95) * 1000:8.1f} {max(phase.latency) * 1000:8.1f}"
        )
    print(
        "  expert p50 ms per request, alone / with uploads: "
        + ", ".join(
            f"{path} {percentile(floor.by_path[path], 0.5) * 1000:.0f} / "
            f"{percentile(loaded.by_path[path], 0.5) * 1000:.0f}"
            for path in EXPERT_PATHS
        )
    )
    print("  upload               count  statuses          client p50 s  client max s")
    for kind in bodies:
        mine = [r for r in results if r[0] == kind]
        times = [r[2] for r in mine]
        statuses = ",".join(f"{c}x{n}" for c, n in sorted(Counter(r[1] for r in mine).items()))
        print(
            f"  {kind:18} {len(mine):7,}  {statuses:16} {percentile(times, 0.5):12.2f}"
            f" {max(times, default=0):13.2f}"
        )
    print(
        f"  longest time an upload held a worker (gunicorn's request time): {longest:.2f} s "
        f"over {len(held):,} uploads; p50 {percentile([s for s, _ in held], 0.5):.2f} s"
    )
    for kind in bodies:
        detail = next((r[3] for r in results if r[0] == kind), "")
        print(f"    {kind}: {detail[:110]}")
    bad = [r for r in results if r[1] not in (400, 413, 429)]
    failed = bool(bad) or longest > options.limit or set(loaded.statuses) != {200}
    if bad:
        print(
            f"  FAIL {len(bad)} uploads not answered 400, 413 or 429: {Counter(r[1] for r in bad)}"
        )
    if longest > options.limit:
        print(f"  FAIL an upload held a worker {longest:.2f} s (limit {options.limit} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
