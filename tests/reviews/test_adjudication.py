"""The lead's adjudication: who may decide, what a decision does to the consensus, the queue, and
the API's permissions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from releases.services.releases import consensus_label_file, cut_release
from reviews.consensus import is_problematic
from reviews.models import Adjudication, FlagDecision
from reviews.services.adjudication import adjudicate, adjudication_queue, decide_flag
from reviews.services.reviewing import claim_next, save_verdicts, set_flags, submit_review

pytestmark = pytest.mark.django_db


def review(review_set, expert, verdicts, reasons=()):
    current = claim_next(review_set=review_set, expert=expert)
    save_verdicts(review=current, expert=expert, verdicts=verdicts)
    if reasons:
        set_flags(review=current, expert=expert, reasons=reasons, note="a drawing")
    return submit_review(review=current, expert=expert)


@pytest.fixture
def disputed(review_set, ada, ben, images):
    """The first image: both experts agree on 65 and 62, disagree on 58; ada flags it."""
    review(review_set, ada, {65: "correct", 58: "wrong", 62: "wrong"}, reasons=["artwork"])
    review(review_set, ben, {65: "correct", 58: "correct", 62: "wrong"})
    return images[0]


def labels_of(number):
    image = consensus_label_file().images[number]
    return {"correct": image.correct, "unclear": image.unclear, "wrong": image.wrong}


def test_problematic_unless_the_lead_dismissed_the_flag():
    assert is_problematic(flagged=True, lead_confirmed=None)
    assert is_problematic(flagged=True, lead_confirmed=True)
    assert not is_problematic(flagged=True, lead_confirmed=False)
    assert not is_problematic(flagged=False, lead_confirmed=None)


def test_a_disagreement_without_a_decision_is_unclear_and_with_one_takes_the_lead_value(
    disputed, lead
):
    assert 58 in labels_of(disputed.number)["unclear"]

    decision = adjudicate(image=disputed, label=58, value="wrong", lead=lead, note="a sea krait")

    assert (decision.decided_by, decision.note) == (lead, "a sea krait")
    assert decision.decided_at is not None
    labels = labels_of(disputed.number)
    assert labels["wrong"] == {58, 62} and labels["correct"] == {65} and not labels["unclear"]


def test_a_new_decision_replaces_the_earlier_one(disputed, lead):
    adjudicate(image=disputed, label=58, value="wrong", lead=lead)
    adjudicate(image=disputed, label=58, value="correct", lead=lead)

    assert Adjudication.objects.get(image=disputed, label_id=58).value == "correct"
    assert labels_of(disputed.number)["correct"] == {65, 58}


def test_a_decision_does_not_override_experts_who_agree(disputed, lead):
    adjudicate(image=disputed, label=65, value="wrong", lead=lead)

    assert 65 in labels_of(disputed.number)["correct"]


def test_only_leads_decide(disputed, ada):
    with pytest.raises(PermissionDenied):
        adjudicate(image=disputed, label=58, value="wrong", lead=ada)
    with pytest.raises(PermissionDenied):
        decide_flag(image=disputed, confirmed=False, lead=ada)
    assert not Adjudication.objects.exists() and not FlagDecision.objects.exists()


def test_a_label_no_expert_judged_cannot_be_decided(disputed, lead):
    with pytest.raises(ValidationError, match="Class 100 was not judged"):
        adjudicate(image=disputed, label=100, value="wrong", lead=lead)


def test_an_unknown_value_is_refused(disputed, lead):
    with pytest.raises(ValidationError, match="Unknown decision 'maybe'"):
        adjudicate(image=disputed, label=58, value="maybe", lead=lead)


def test_a_draft_review_gives_nothing_to_decide(review_set, ada, lead, images):
    current = claim_next(review_set=review_set, expert=ada)
    save_verdicts(review=current, expert=ada, verdicts={65: "correct"})
    set_flags(review=current, expert=ada, reasons=["artwork"])

    with pytest.raises(ValidationError, match="not judged in any submitted review"):
        adjudicate(image=images[0], label=65, value="correct", lead=lead)
    with pytest.raises(ValidationError, match="no flag to decide"):
        decide_flag(image=images[0], confirmed=True, lead=lead)


def test_a_dismissed_flag_is_not_problematic_and_a_confirmed_one_is(disputed, lead):
    assert disputed.number in consensus_label_file().problematic

    decide_flag(image=disputed, confirmed=False, lead=lead, note="a photograph")
    assert disputed.number not in consensus_label_file().problematic

    decision = decide_flag(image=disputed, confirmed=True, lead=lead, note="a painting")
    record = consensus_label_file().problematic[disputed.number]
    assert "lead: a painting" in record.reason and "cartoon" in record.reason
    assert record.time_reviewed == decision.decided_at.isoformat()
    assert FlagDecision.objects.get(image=disputed).decided_by == lead


def test_decisions_are_refused_once_a_release_labels_the_image(disputed, lead):
    adjudicate(image=disputed, label=58, value="wrong", lead=lead)
    cut_release(version="1.0.0", created_by=lead)

    with pytest.raises(ValidationError, match="part of release 1.0.0"):
        adjudicate(image=disputed, label=58, value="correct", lead=lead)
    with pytest.raises(ValidationError, match="part of release 1.0.0"):
        decide_flag(image=disputed, confirmed=False, lead=lead)
    assert Adjudication.objects.get(image=disputed, label_id=58).value == "wrong"
    assert adjudication_queue().images == []


def test_the_queue_lists_only_what_needs_a_lead_oldest_first_and_empties_as_decided(
    review_set, ada, ben, lead, images
):
    first = review(review_set, ada, {65: "correct", 58: "wrong", 62: "wrong"})
    review(review_set, ben, {65: "correct", 58: "correct", 62: "wrong"})  # 58 disagrees
    review(review_set, ada, {65: "correct"})
    review(review_set, ben, {65: "correct"})  # agreement, no flag: nothing to decide
    review(review_set, ada, {58: "wrong", 65: "unclear"}, reasons=["edited"])
    review(review_set, ben, {58: "wrong", 65: "unclear"})  # agreement, but flagged
    assert first.image == images[0]

    queue = adjudication_queue()
    assert queue.images == [images[0].number, images[2].number]
    assert (queue.labels, queue.flags) == (1, 1)
    assert queue.after(images[0].number) == images[2].number
    assert queue.after(images[2].number) == images[0].number

    adjudicate(image=images[0], label=58, value="wrong", lead=lead)
    assert adjudication_queue().images == [images[2].number]

    decide_flag(image=images[2], confirmed=True, lead=lead)
    queue = adjudication_queue()
    assert (queue.images, queue.labels, queue.flags) == ([], 0, 0)
    assert queue.after(None) is None


# ---- the API and the page -------------------------------------------------------------------


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_queue_api_gives_the_next_image_side_by_side(disputed, lead):
    response = client_for(lead).get(reverse("adjudication:api-queue"))

    assert response.status_code == 200
    data = response.json()
    assert data["number"] == disputed.number
    assert [column["expert"] for column in data["experts"]] == ["ada", "ben"]
    rows = {row["label"]: row for row in data["labels"]}
    assert rows[58]["verdicts"] == ["wrong", "correct"] and rows[58]["disagree"]
    assert rows[58]["consensus"] == "unclear" and rows[58]["adjudication"] is None
    assert data["labels"][0]["label"] == disputed.original_label_id
    assert data["flag"] == {"flagged": True, "problematic": True, "decision": None}
    assert data["experts"][0]["problem_reasons"] == ["artwork"]
    assert data["queue"] == {"images": 1, "position": 1, "labels": 1, "flags": 1}


def test_deciding_through_the_api_updates_the_case_and_empties_the_queue(disputed, lead):
    client = client_for(lead)
    number = disputed.number

    response = client.put(
        reverse("adjudication:api-label", args=[number, 58]),
        {"value": "correct", "note": "both bands visible"},
        format="json",
    )
    assert response.status_code == 200
    row = next(row for row in response.json()["labels"] if row["label"] == 58)
    assert row["consensus"] == "correct"
    assert row["adjudication"]["decided_by"] == "lena"

    response = client.put(
        reverse("adjudication:api-flag", args=[number]), {"confirmed": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["flag"]["problematic"] is False
    assert client.get(reverse("adjudication:api-queue")).status_code == 204


def test_api_rule_violations_answer_400_with_a_detail(disputed, lead):
    response = client_for(lead).put(
        reverse("adjudication:api-label", args=[disputed.number, 100]),
        {"value": "correct"},
        format="json",
    )
    assert response.status_code == 400
    assert "Class 100 was not judged" in response.json()["detail"]


@pytest.mark.parametrize("who", ["ada", None])
def test_experts_and_anonymous_callers_get_403_from_every_endpoint(disputed, ada, who):
    client = client_for(ada if who else None)
    number = disputed.number
    calls = [
        client.get(reverse("adjudication:api-queue")),
        client.get(reverse("adjudication:api-queue-images")),
        client.get(reverse("adjudication:api-image", args=[number])),
        client.put(
            reverse("adjudication:api-label", args=[number, 58]), {"value": "wrong"}, format="json"
        ),
        client.put(
            reverse("adjudication:api-flag", args=[number]), {"confirmed": False}, format="json"
        ),
    ]
    assert [response.status_code for response in calls] == [403] * 5
    assert "detail" in calls[0].json()
    assert not Adjudication.objects.exists() and not FlagDecision.objects.exists()


def test_the_page_is_for_leads_only(disputed, lead, ada, client):
    url = reverse("adjudication:queue")
    assert client.get(url).status_code == 302  # to the log-in page

    client.force_login(ada)
    assert client.get(url).status_code == 403

    client.force_login(lead)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 image needs a lead: 1 disagreeing label, 1 flag." in html
    assert "js/reviews/adjudication.js" in html and "<kbd>y</kbd>" in html
