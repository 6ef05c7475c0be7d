"""Shared by the load benchmarks and the fault tests (not a benchmark itself): a scratch
PostgreSQL database, gunicorn on 127.0.0.1, its workers, latency percentiles, and Debian's
Chromium with the flags the browser benchmarks launch it with."""

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def admin_sql(server: str, statement: str) -> None:
    """Run one statement on the server's ``postgres`` database (CREATE / DROP DATABASE)."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(statement)


@contextmanager
def scratch_database(server: str, name: str) -> Iterator[str]:
    """A new PostgreSQL database, dropped on the way out whatever happened; yields its URL."""
    admin_sql(server, f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not have been set up
            pass
        admin_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def gunicorn_environment(**extra: str) -> dict[str, str]:
    """The variables a benchmark's gunicorn runs with (production settings over plain HTTP on
    127.0.0.1), plus ``extra``. Debug is taken out of the benchmark's own environment, so that
    the server and anything the benchmark runs in-process use the production settings."""
    os.environ.pop("DJANGO_DEBUG", None)
    return {
        "DJANGO_SECRET_KEY": "bench-only",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # gunicorn speaks plain HTTP here
        # WhiteNoise looks for STATIC_ROOT, which only collectstatic makes; the API needs none.
        "PYTHONWARNINGS": "ignore:No directory at",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(
    port: int,
    environment: dict[str, str],
    *,
    workers: int,
    threads: int = 1,
    worker_class: str = "gthread",
    app: str = "config.wsgi:application",
    stderr=None,
) -> subprocess.Popen:
    """gunicorn serving ``app`` on 127.0.0.1:``port`` in its own process group; returns once it
    accepts connections."""
    server = subprocess.Popen(
        [
            str(GUNICORN),
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **environment},
        start_new_session=True,
        stderr=stderr,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    stop_gunicorn(server)
    raise RuntimeError("gunicorn did not start listening within 60 s")


def stop_gunicorn(server: subprocess.Popen) -> None:
    """TERM the whole process group, KILL it if it lingers."""
    if server.poll() is None:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        except ProcessLookupError:
            pass


def worker_pids(server: subprocess.Popen) -> list[int]:
    """The gunicorn master's worker processes (Linux /proc)."""
    path = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    try:
        return [int(pid) for pid in path.read_text().split()]
    except OSError:
        return []


def cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time used so far by gunicorn and its workers (Linux /proc)."""
    try:
        total = 0
        for pid in [server.pid, *worker_pids(server)]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def postgres_cpu_seconds() -> float:
    """CPU time used so far by the PostgreSQL server's processes on this machine (Linux /proc;
    processes that ended in between are not counted)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text.split("(", 1)[1].rsplit(")", 1)
        if name.startswith("postgres"):
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def percentile(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def latency_table(latency: dict[str, list[float]], kinds: list[str]) -> list[str]:
    """Lines of count, p50, p95 and p99 in milliseconds per request kind, and over all."""
    lines = ["    request      count    p50 ms   p95 ms   p99 ms"]
    every = []
    for name in [*kinds, "all"]:
        samples = every if name == "all" else latency.get(name, [])
        if name != "all":
            every = every + samples
        lines.append(
            f"    {name:10} {len(samples):7,} {percentile(samples, 0.5) * 1000:9.1f}"
            f" {percentile(samples, 0.95) * 1000:8.1f} {percentile(samples, 0.99) * 1000:8.1f}"
        )
    return lines


def process_cpu_seconds(pid: int) -> float:
    """CPU time used so far by one process (Linux /proc); NaN once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class DatabaseSampler(threading.Thread):
    """Looks, every ``interval`` seconds until :meth:`stop`, at the PostgreSQL sessions working in
    ``database`` (pg_stat_activity, read through the server's ``postgres`` database so that the
    looking is not counted): the CPU time each has used since the first look (Linux /proc; a
    session that starts later counts from its start, one that ends counts up to the last look),
    how many are running a statement and how many are waiting for a lock (a row another
    transaction holds, for instance). Sessions of other databases on a shared server are left
    out, and so are the server's background processes (WAL writer, checkpointer), which work for
    every database at once."""

    def __init__(self, server: str, database: str, interval: float = 0.1):
        super().__init__(daemon=True)
        self.server, self.database, self.interval = server, database, interval
        self.first: dict[int, float] = {}  # CPU seconds by process id, at the first look
        self.last: dict[int, float] = {}  # and at the latest
        self.looks = self.active = self.waiting = self.most_waiting = 0
        self.ready, self._stopped = threading.Event(), threading.Event()

    def run(self) -> None:
        import psycopg

        try:
            with psycopg.connect(f"{self.server}/postgres", autocommit=True) as connection:
                while True:
                    self._look(connection)
                    self.ready.set()
                    if self._stopped.wait(self.interval):
                        break
                self._look(connection)
        finally:
            self.ready.set()  # start() returns even if the first look failed

    def _look(self, connection) -> None:
        rows = connection.execute(
            "SELECT pid, state, wait_event_type FROM pg_stat_activity WHERE datname = %s",
            [self.database],
        ).fetchall()
        waiting = 0
        for pid, state, wait in rows:
            used = process_cpu_seconds(pid)
            if used != used:  # NaN: ended since pg_stat_activity was read
                continue
            self.first.setdefault(pid, used if self.looks == 0 else 0.0)
            self.last[pid] = used
            self.active += state == "active"
            waiting += wait == "Lock"
        self.looks += 1
        self.waiting += waiting
        self.most_waiting = max(self.most_waiting, waiting)

    def start(self) -> None:
        """Start looking; returns after the first look."""
        super().start()
        self.ready.wait()

    def stop(self) -> None:
        """Take a last look and stop."""
        self._stopped.set()
        self.join()

    @property
    def cpu_seconds(self) -> float:
        return sum(used - self.first[pid] for pid, used in self.last.items())

    @property
    def sessions(self) -> int:
        return len(self.last)
