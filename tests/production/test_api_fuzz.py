"""Schemathesis fuzzes every operation of the published OpenAPI schema, as an expert and as a
lead, in process (WSGI): no answer is a server error, and every answer's status code, content
type and body are the ones the schema declares. ``FUZZ_EXAMPLES`` sets the examples per operation
(default 10); the terminal summary gives the requests made and the failures."""

import os
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from annotator.models import ValImage
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim_next, save_verdicts, submit_review
from tests.factories import make_candidates

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 10))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXCHANGE = Path(__file__).resolve().parents[1] / "data" / "exchange" / "human_accuracy_fixed.json"
PREDICTIONS = Path(__file__).resolve().parents[1] / "data" / "predictions" / "testbed-20.csv"

# Requests made and operations that failed, per role: printed in the terminal summary.
FUZZ_TALLY: Counter = Counter()

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the database connection after each request, as in production;
    the test's transaction lives on that connection, so keep it open (as Django's test client
    does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db, keep_test_connection) -> dict[str, str]:
    """A small panel with something behind most endpoints: models and candidates, a review set
    with one submitted review and one leased image, and a release; a token per role."""
    call_command("import_predictions", str(PREDICTIONS), verbosity=0, stdout=StringIO())
    call_command("import_labels", str(EXCHANGE), "--release", "1.0.0", stdout=StringIO())
    lead = add_panel_member(username="lead", password="lead-pass-2026", lead=True)[0]
    expert = add_panel_member(username="expert", password="expert-pass-2026")[0]
    images = list(ValImage.objects.filter(original_label_id=65).order_by("number")[:3])
    for image in images:
        make_candidates(image, {65: 30, 58: 20})
    review_set = create_review_set(
        name="snakes",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=2,
        created_by=lead,
    )
    review = claim_next(review_set=review_set, expert=expert)
    save_verdicts(review=review, expert=expert, verdicts={65: "correct", 58: "wrong"})
    submit_review(review=review, expert=expert)
    claim_next(review_set=review_set, expert=expert)
    return {
        "expert": Token.objects.create(user=expert).key,
        "lead": Token.objects.create(user=lead).key,
    }


def call_and_validate(case, token: str, role: str) -> None:
    FUZZ_TALLY[f"{role} requests"] += 1
    try:
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
    except BaseException:
        FUZZ_TALLY[f"{role} failures"] += 1
        raise


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_an_expert_as_the_schema_says(case, tokens):
    call_and_validate(case, tokens["expert"], "expert")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_a_lead_as_the_schema_says(case, tokens):
    call_and_validate(case, tokens["lead"], "lead")
