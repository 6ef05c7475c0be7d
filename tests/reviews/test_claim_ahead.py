"""Claiming ahead: the review page holds the next image's lease while the expert works on one,
so that submitting only swaps pictures. Within the overlap rule, at most two images an expert,
the one on screen always handed back first, and an unstarted image handed back on leaving as if
it had never been claimed."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from annotator.models import ValImage
from reviews.models import Review, ReviewEvent, ReviewStatus, Slot, SlotState
from reviews.selectors import review_task
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import (
    claim,
    release_unstarted,
    save_verdicts,
    submit_review,
)
from tests.factories import make_candidates


def held_images(expert) -> set[int]:
    return set(
        Slot.objects.filter(expert=expert, state=SlotState.LEASED).values_list(
            "image_id", flat=True
        )
    )


def judge_and_submit(review, expert):
    labels = review_task(review=review).labels
    submit_review(review=review, expert=expert, verdicts=dict.fromkeys(labels, "wrong"))


@pytest.mark.django_db
def test_claiming_ahead_leases_the_next_image_and_a_plain_claim_still_hands_back_the_first(
    review_set, experts, images
):
    ada = experts[0]
    current = claim(review_set=review_set, expert=ada).review
    ahead = claim(review_set=review_set, expert=ada, ahead=True).review

    assert (current.image_id, ahead.image_id) == (images[0].pk, images[1].pk)
    assert held_images(ada) == {images[0].pk, images[1].pk}
    # However often either is asked, the same two, the one on screen first; never a third.
    for _ in range(2):
        assert claim(review_set=review_set, expert=ada).review.pk == current.pk
        assert claim(review_set=review_set, expert=ada, ahead=True).review.pk == ahead.pk
    assert held_images(ada) == {images[0].pk, images[1].pk}
    assert list(ahead.events.values_list("action", flat=True)) == ["claim ahead"]


@pytest.mark.django_db
def test_the_image_on_screen_comes_first_even_when_the_one_claimed_ahead_is_earlier_in_the_set(
    review_set, experts, images
):
    ada, ben, _ = experts
    review_set.overlap = 1
    review_set.save()
    Slot.objects.filter(review_set=review_set, number__gt=0).delete()
    ben_review = claim(review_set=review_set, expert=ben).review
    current = claim(review_set=review_set, expert=ada).review
    assert (ben_review.image_id, current.image_id) == (images[0].pk, images[1].pk)
    # Ben's lease lapses: his image, first in the set, is what ada's claim ahead gets.
    Slot.objects.filter(expert=ben).update(leased_until=timezone.now() - timedelta(minutes=1))

    ahead = claim(review_set=review_set, expert=ada, ahead=True).review

    assert ahead.image_id == images[0].pk
    assert claim(review_set=review_set, expert=ada).review.pk == current.pk
    assert claim(review_set=review_set, expert=ada, ahead=True).review.pk == ahead.pk


@pytest.mark.django_db
def test_after_a_submit_the_image_claimed_ahead_is_the_one_handed_back(review_set, experts, images):
    ada = experts[0]
    current = claim(review_set=review_set, expert=ada).review
    ahead = claim(review_set=review_set, expert=ada, ahead=True).review
    judge_and_submit(current, ada)

    assert claim(review_set=review_set, expert=ada).review.pk == ahead.pk
    following = claim(review_set=review_set, expert=ada, ahead=True).review
    assert following.image_id == images[2].pk
    judge_and_submit(ahead, ada)
    judge_and_submit(following, ada)
    assert claim(review_set=review_set, expert=ada, ahead=True) is None
    assert claim(review_set=review_set, expert=ada) is None


@pytest.mark.django_db
def test_claiming_ahead_never_takes_more_slots_than_the_overlap_allows(review_set, experts, images):
    ada, ben, cleo = experts
    review_set.overlap = 1
    review_set.save()
    Slot.objects.filter(review_set=review_set, number__gt=0).delete()

    assert claim(review_set=review_set, expert=ada).review.image_id == images[0].pk
    assert claim(review_set=review_set, expert=ada, ahead=True).review.image_id == images[1].pk
    assert claim(review_set=review_set, expert=ben).review.image_id == images[2].pk
    # Every image's one slot is held: nothing ahead for ben, nothing at all for cleo.
    assert claim(review_set=review_set, expert=ben, ahead=True) is None
    assert claim(review_set=review_set, expert=cleo) is None
    holders = Counter(Slot.objects.exclude(state=SlotState.OPEN).values_list("image_id", flat=True))
    assert holders == {image.pk: 1 for image in images}


@pytest.mark.django_db
def test_an_unstarted_image_handed_back_goes_to_the_next_expert_and_leaves_no_trail(
    review_set, experts, images
):
    ada, ben, _ = experts
    review_set.overlap = 1
    review_set.save()
    Slot.objects.filter(review_set=review_set, number__gt=0).delete()
    claim(review_set=review_set, expert=ada)
    ahead = claim(review_set=review_set, expert=ada, ahead=True).review
    claim(review_set=review_set, expert=ben)  # the last free image
    assert claim(review_set=review_set, expert=ben, ahead=True) is None

    release_unstarted(review=ahead, expert=ada)

    slot = Slot.objects.get(image_id=ahead.image_id)
    assert (slot.state, slot.expert, slot.leased_until) == (SlotState.OPEN, None, None)
    # Not a skip: no review, no audit entry; the image may come to ada again.
    assert not Review.objects.filter(pk=ahead.pk).exists()
    assert not ReviewEvent.objects.filter(review_id=ahead.pk).exists()
    assert not Review.objects.filter(status=ReviewStatus.SKIPPED).exists()
    assert claim(review_set=review_set, expert=ben, ahead=True).review.image_id == ahead.image_id


@pytest.mark.django_db
def test_handing_back_a_started_review_or_another_experts_is_refused(review_set, experts):
    ada, ben, _ = experts
    claim(review_set=review_set, expert=ada)
    ahead = claim(review_set=review_set, expert=ada, ahead=True).review
    with pytest.raises(PermissionDenied):
        release_unstarted(review=ahead, expert=ben)
    save_verdicts(review=ahead, expert=ada, verdicts={ahead_label(ahead): "correct"})

    with pytest.raises(ValidationError, match="skip it to hand it back"):
        release_unstarted(review=ahead, expert=ada)

    assert Review.objects.filter(pk=ahead.pk).exists()
    assert ahead.image_id in held_images(ada)


def ahead_label(review: Review) -> int:
    return review_task(review=review).labels[0]


@pytest.mark.django_db
def test_the_api_claims_ahead_and_hands_an_unstarted_image_back(review_set, experts, images):
    ada, ben, _ = experts
    client = Client()
    client.force_login(ada)
    url = f"/api/review-sets/{review_set.pk}/claim/"
    current = client.post(url).json()
    ahead = client.post(url, {"ahead": True}, content_type="application/json").json()
    assert (current["image"]["number"], ahead["image"]["number"]) == (
        images[0].number,
        images[1].number,
    )
    other = Client()
    other.force_login(ben)
    assert other.delete(f"/api/reviews/{ahead['id']}/").status_code == 404  # not ben's

    verdicts = {str(label["label"]): "wrong" for label in current["labels"]}
    response = client.put(
        f"/api/reviews/{current['id']}/verdicts/", {"verdicts": verdicts}, "application/json"
    )
    assert response.status_code == 200
    started = client.delete(f"/api/reviews/{current['id']}/")
    assert started.status_code == 400
    assert "skip it" in started.json()["detail"]

    assert client.delete(f"/api/reviews/{ahead['id']}/").status_code == 204
    assert client.get(f"/api/reviews/{ahead['id']}/").status_code == 404
    assert held_images(ada) == {images[0].number}


# Many experts at once, each working as the review page does: claim, claim ahead, then submit
# the image on screen, take the one claimed ahead and claim the next ahead, until none is left.

EXPERTS = 6
IMAGES = 14


def review_ahead_until_done(client: Client, review_set_id: int, start, log: list):
    url = f"/api/review-sets/{review_set_id}/claim/"
    try:
        start.wait(timeout=30)
        response = client.post(url)
        current = response.json() if response.status_code == 200 else None
        while current is not None:
            response = client.post(url, {"ahead": True}, content_type="application/json")
            ahead = response.json() if response.status_code == 200 else None
            held = Slot.objects.filter(expert=client.expert, state=SlotState.LEASED).count()
            log.append(("held", client.expert.username, held))
            verdicts = {str(label["label"]): "wrong" for label in current["labels"]}
            response = client.post(
                f"/api/reviews/{current['id']}/submit/",
                {"verdicts": verdicts, "seconds_spent": 1},
                content_type="application/json",
            )
            assert response.status_code == 200, response.content
            log.append(("done", client.expert.username, current["image"]["number"]))
            current = ahead
            if current is None:  # nothing was free ahead: perhaps something is now
                response = client.post(url)
                current = response.json() if response.status_code == 200 else None
    except BaseException as exc:  # reported by the main thread
        log.append(exc)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("overlap", [1, 2])
def test_experts_claiming_ahead_at_once_keep_the_overlap_and_review_every_image_once(
    catalogue, overlap
):
    lead = add_panel_member(username="lead", password="lead-pass-2026", lead=True)[0]
    experts = [
        add_panel_member(username=f"expert{n}", password="expert-pass-2026")[0]
        for n in range(EXPERTS)
    ]
    images = list(ValImage.objects.annotated_subset().order_by("number")[:IMAGES])
    for n, image in enumerate(images):
        make_candidates(image, {image.original_label_id: 30, (n * 7) % 1000: 5})
    review_set = create_review_set(
        name=f"ahead {overlap}",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=overlap,
        created_by=lead,
    )
    start, log = threading.Barrier(EXPERTS), []
    threads = []
    for expert in experts:
        client = Client()
        client.force_login(expert)
        client.expert = expert
        threads.append(
            threading.Thread(
                target=review_ahead_until_done, args=(client, review_set.pk, start, log)
            )
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    errors = [entry for entry in log if isinstance(entry, BaseException)]
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    assert max(held for kind, _, held in log if kind == "held") <= 2
    done = [(expert, number) for kind, expert, number in log if kind == "done"]
    assert len(set(done)) == len(done)  # nobody reviewed an image twice
    assert Counter(number for _, number in done) == {image.number: overlap for image in images}
    assert Slot.objects.filter(review_set=review_set, state=SlotState.DONE).count() == (
        IMAGES * overlap
    )
    assert not Slot.objects.filter(review_set=review_set, state=SlotState.LEASED).exists()
