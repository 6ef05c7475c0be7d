"""Faults in the middle of a panel's work, against gunicorn on the test database (SQLite file or
PostgreSQL, whichever the suite runs on): a worker killed mid-submit, the database connection
lost mid-submit, an import killed half-way. Nothing partial is ever stored, the client's retry
succeeds, and nothing the server acknowledged is lost."""

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.authtoken.models import Token

from annotator.catalogue import ANNOTATED_SUBSET_FILE, TESTBED_PREDICTIONS_20K
from annotator.models import Candidate, Classifier, Predictions, ValImage
from bench.serving import free_port, start_gunicorn, stop_gunicorn
from reviews.models import Review, ReviewEvent, ReviewStatus, Slot, SlotState, Verdict
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from tests.factories import make_candidates

ROOT = Path(__file__).resolve().parents[2]
EXPERTS = 4
IMAGES = 12
VALUES = ("correct", "wrong", "unclear")
TESTBED_200 = ROOT / "tests" / "data" / "predictions" / "testbed-200.tar.xz"
TESTBED_200_INDEX = ROOT / "tests" / "data" / "predictions" / "testbed-200-index.json"


def database_url() -> str:
    """The test database, as a URL for the server and commands run in subprocesses."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    host = settings.get("HOST") or "127.0.0.1"
    return f"postgres://{settings['USER']}@{host}:{settings.get('PORT') or 5432}/{settings['NAME']}"


def subprocess_environment(**extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PYTHONWARNINGS": "ignore:No directory at",
        **extra,
    }


@pytest.fixture
def panel(transactional_db, catalogue) -> tuple[int, list[str]]:
    """A review set of 12 images with three candidates each, overlap 2, and four experts'
    tokens, committed so that the server sees them."""
    lead = add_panel_member(username="lead", password="lead-pass-2026", lead=True)[0]
    images = list(ValImage.objects.annotated_subset().order_by("number")[:IMAGES])
    for n, image in enumerate(images):
        make_candidates(image, {image.original_label_id: 30, (n * 7) % 1000: 5, 999 - n: 2})
    review_set = create_review_set(
        name="faults",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=2,
        created_by=lead,
    )
    tokens = [
        Token.objects.create(
            user=add_panel_member(username=f"expert{n}", password="expert-pass-2026")[0]
        ).key
        for n in range(EXPERTS)
    ]
    return review_set.pk, tokens


@pytest.fixture
def serve(tmp_path):
    """Start gunicorn (two workers) with the fault hooks on the test database; stopped after
    the test whatever happened."""
    servers = []

    def start(**extra: str) -> tuple[subprocess.Popen, int]:
        port = free_port()
        server = start_gunicorn(
            port,
            subprocess_environment(**extra),
            workers=2,
            threads=2,
            app="tests.production.faulty_wsgi:application",
        )
        servers.append(server)
        return server, port

    yield start
    for server in servers:
        stop_gunicorn(server)


class Expert(threading.Thread):
    """Claim, judge every label, submit, until nothing is left. A request that fails (dropped
    connection, 5xx) is retried once ``resume`` is set, with a fresh connection."""

    def __init__(self, n: int, port: int, token: str, review_set_id: int, resume: threading.Event):
        super().__init__()
        self.n, self.port, self.review_set_id, self.resume = n, port, review_set_id, resume
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.acknowledged: list[tuple[int, dict[str, str]]] = []
        self.failed: list[tuple[str, str]] = []  # (path, what the client saw)
        self.retried: list[tuple[str, int]] = []  # (path, status of the retry that followed)
        self.errors: list[BaseException] = []

    def send(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        for attempt in range(20):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request(method, path, json.dumps(body or {}), self.headers)
                response = connection.getresponse()
                status, data = response.status, response.read()
                connection.close()
            except (OSError, http.client.HTTPException) as exc:
                status, data = 0, repr(exc).encode()
            if 0 < status < 500:
                if attempt:
                    self.retried.append((path, status))
                return status, data
            self.failed.append((path, f"{status} {data[:200].decode(errors='replace')}"))
            self.resume.wait(timeout=30)
            time.sleep(0.2)
        raise AssertionError(f"{method} {path} kept failing: {self.failed[-3:]}")

    def run(self) -> None:
        try:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                status, data = self.send("POST", f"/api/review-sets/{self.review_set_id}/claim/")
                if status == 204:
                    return
                assert status == 200, data
                task = json.loads(data)
                verdicts = {
                    str(label["label"]): VALUES[(self.n + label["label"]) % 3]
                    for label in task["labels"]
                }
                url = f"/api/reviews/{task['id']}"
                status, data = self.send("PUT", f"{url}/verdicts/", {"verdicts": verdicts})
                assert status == 200, data
                status, data = self.send("POST", f"{url}/submit/", {"seconds_spent": 1})
                assert status == 200, data
                self.acknowledged.append((task["id"], verdicts))
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)


def run_experts(port: int, panel: tuple[int, list[str]]) -> tuple[list[Expert], threading.Event]:
    review_set_id, tokens = panel
    resume = threading.Event()
    experts = [Expert(n, port, token, review_set_id, resume) for n, token in enumerate(tokens)]
    for expert in experts:
        expert.start()
    return experts, resume


def wait_for(path: Path, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.02)
    raise AssertionError(f"{path.name} did not appear within {seconds} s")


def assert_still_a_draft(review_id: int) -> None:
    """The submit in flight left nothing behind: the review is a draft, its slot still leased,
    no submit in its audit trail."""
    review = Review.objects.get(pk=review_id)
    assert review.status == ReviewStatus.DRAFT and review.submitted_at is None
    slot = Slot.objects.get(
        review_set_id=review.review_set_id, image_id=review.image_id, expert_id=review.expert_id
    )
    assert slot.state == SlotState.LEASED
    assert not ReviewEvent.objects.filter(review_id=review_id, action="submit").exists()


def assert_every_acknowledged_submit_kept_whole(experts: list[Expert], review_set_id: int):
    for thread in experts:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in experts)
    errors = [error for expert in experts for error in expert.errors]
    assert not errors, errors
    sent = Counter(
        (review_id, int(label), value)
        for expert in experts
        for review_id, verdicts in expert.acknowledged
        for label, value in verdicts.items()
    )
    submitted = Review.objects.filter(review_set_id=review_set_id, status=ReviewStatus.SUBMITTED)
    assert set(submitted.values_list("pk", flat=True)) == {
        review_id for expert in experts for review_id, _ in expert.acknowledged
    }
    assert (
        Counter(
            Verdict.objects.filter(review__in=submitted).values_list(
                "review_id", "label_id", "value"
            )
        )
        == sent
    )
    # Each submitted review was submitted once, and the set is done: the faults lost no slot.
    submits = Counter(
        ReviewEvent.objects.filter(review__in=submitted, action="submit").values_list(
            "review_id", flat=True
        )
    )
    assert set(submits.values()) == {1}
    assert Slot.objects.filter(review_set_id=review_set_id, state=SlotState.DONE).count() == (
        IMAGES * 2
    )


def the_retry_of(experts: list[Expert], review_id: int) -> tuple[list[str], list[int]]:
    path = f"/api/reviews/{review_id}/submit/"
    seen = [what for expert in experts for failed, what in expert.failed if failed == path]
    retries = [
        status for expert in experts for retried, status in expert.retried if retried == path
    ]
    return seen, retries


def test_a_worker_killed_mid_submit_stores_no_partial_review_and_the_retry_succeeds(
    panel, serve, tmp_path
):
    marker = tmp_path / "paused"
    server, port = serve(FAULT_PAUSE_MARKER=str(marker))
    experts, resume = run_experts(port, panel)

    worker, _, review_id = map(int, wait_for(marker).split())
    os.kill(worker, signal.SIGKILL)
    (tmp_path / "paused.go").touch()
    deadline = time.monotonic() + 10
    while not any(expert.failed for expert in experts) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert_still_a_draft(review_id)
    resume.set()

    assert_every_acknowledged_submit_kept_whole(experts, panel[0])
    seen, retries = the_retry_of(experts, review_id)
    assert seen and seen[0].startswith("0 "), seen  # the client saw its connection drop
    assert retries == [200]
    assert server.poll() is None  # gunicorn replaced the worker and went on


def test_a_database_fault_mid_submit_answers_503_writes_nothing_and_the_retry_succeeds(
    panel, serve, tmp_path
):
    """PostgreSQL: the server's connection is terminated (pg_terminate_backend) while a submit
    is inside its transaction. SQLite has no server connection to drop: its equivalent fault is
    another writer holding the database file locked for longer than the app waits (1 s here)."""
    marker = tmp_path / "paused"
    if connection.vendor == "postgresql":
        server, port = serve(FAULT_PAUSE_MARKER=str(marker))
        experts, resume = run_experts(port, panel)
        _, backend, review_id = map(int, wait_for(marker).split())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
        assert_still_a_draft(review_id)
        (tmp_path / "paused.go").touch()
    else:
        server, port = serve(FAULT_SQLITE_TIMEOUT="1")
        experts, resume = run_experts(port, panel)
        deadline = time.monotonic() + 15
        while sum(len(e.acknowledged) for e in experts) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        locker = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            deadline = time.monotonic() + 10
            while not any(e.failed for e in experts) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        failed = next(path for e in experts for path, _ in e.failed)
        review_id = int(failed.split("/")[3]) if failed.startswith("/api/reviews/") else None
        if failed.endswith("/submit/"):
            assert_still_a_draft(review_id)
    deadline = time.monotonic() + 10
    while not any(expert.failed for expert in experts) and time.monotonic() < deadline:
        time.sleep(0.05)
    resume.set()

    assert_every_acknowledged_submit_kept_whole(experts, panel[0])
    answers = [what for expert in experts for _, what in expert.failed]
    assert answers and all(what.startswith("503 ") for what in answers), answers
    assert all("database is unavailable" in what for what in answers), answers
    assert all(status < 400 for expert in experts for _, status in expert.retried)
    assert server.poll() is None


def snapshot() -> dict:
    """What an import of predictions writes: models, their arrays, candidates, counts."""
    return {
        "classifiers": sorted(
            Classifier.objects.values_list("name", "top_k", "image_count", "proposes", "source")
        ),
        "predictions": sorted(
            (name, bytes(numbers), bytes(labels))
            for name, numbers, labels in Predictions.objects.values_list(
                "classifier__name", "image_numbers", "labels"
            )
        ),
        "candidates": sorted(
            Candidate.objects.values_list("image_id", "label_id", "top1_votes", "top5_votes")
        ),
        "counts": sorted(
            ValImage.objects.filter(candidate_count__gt=0).values_list("pk", "candidate_count")
        ),
    }


def test_an_import_killed_half_way_leaves_the_database_as_it_was_and_a_rerun_succeeds(
    transactional_db, catalogue
):
    call_command(
        "import_predictions", str(TESTBED_200), "--index", str(TESTBED_200_INDEX),
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    before = snapshot()
    command = [
        sys.executable, "manage.py", "import_predictions", str(TESTBED_PREDICTIONS_20K),
        "--index", str(ANNOTATED_SUBSET_FILE), "--exclude", "fv_*",
    ]  # fmt: skip
    environment = {**os.environ, **subprocess_environment()}
    importer = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        # The candidates bar starts once every model's predictions were written (in the
        # import's transaction): kill it there, between its writes and its commit.
        seen = b""
        while b"candidates" not in seen:
            chunk = os.read(importer.stderr.fileno(), 4096)
            assert chunk, f"the import ended before writing its candidates: {seen[-500:]!r}"
            seen += chunk
        assert b"storing: 100%" in seen
        importer.send_signal(signal.SIGKILL)
        stdout, _ = importer.communicate(timeout=30)
    finally:
        if importer.poll() is None:
            importer.kill()
            importer.wait()
    assert importer.returncode == -signal.SIGKILL
    assert b"Imported" not in stdout
    assert snapshot() == before

    rerun = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert rerun.stdout.startswith(b"Imported 64 models (3 excluded, 4 replaced)")
    assert Classifier.objects.filter(proposes=True).count() >= 64
    assert Candidate.objects.filter(image__in=ValImage.objects.annotated_subset()).count() > 70_000
