"""Many experts claiming at the same moment through the API, each thread on its own database
connection: no image gets more holders than its overlap, no expert two slots of one image, and
every submitted verdict is stored exactly once. On PostgreSQL, claims at the same moment take
different slots and none waits for another's lock (the claim's free slot comes locked, SKIP
LOCKED); on SQLite, one writer at a time, each claim waits for the one before and takes the next.

The threads wait for each other with timeouts: these only end a test that went wrong (a claim
that waited for a lock it should have passed over) instead of hanging; nothing here is timed."""

import threading
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test import Client

from annotator.models import ValImage
from reviews.models import Review, ReviewStatus, Slot, SlotState, Verdict
from reviews.services import reviewing
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from tests.factories import make_candidates

GIVE_UP = 30  # seconds: only how long a failing test takes to fail

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


def make_panel(experts: int, images: int, overlap: int):
    """A lead's review set of the first ``images`` annotated images, and ``experts`` experts;
    the images in the set's order."""
    lead = add_panel_member(username="lead", password="lead-pass-2026", lead=True)[0]
    panel = [
        add_panel_member(username=f"expert{n}", password="expert-pass-2026")[0]
        for n in range(experts)
    ]
    chosen = list(ValImage.objects.annotated_subset().order_by("number")[:images])
    for image in chosen:
        make_candidates(image, {image.original_label_id: 30})
    review_set = create_review_set(
        name="queue",
        images=ValImage.objects.filter(pk__in=[image.pk for image in chosen]),
        overlap=overlap,
        created_by=lead,
    )
    in_order = list(
        Slot.objects.filter(review_set=review_set, number=0)
        .order_by("position")
        .values_list("image_id", flat=True)
    )
    return review_set, panel, in_order


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


@pytest.mark.django_db(transaction=True)
def test_claims_at_once_on_postgresql_take_different_slots_and_none_waits_for_another(catalogue):
    if not on_postgresql():
        pytest.skip("SQLite has one writer at a time: no two claims hold a transaction at once")
    experts = 8
    review_set, panel, in_order = make_panel(experts, images=6, overlap=2)
    # Every claim keeps its transaction (and its locks) open until all eight have claimed: a
    # claim that waited for another's lock would never reach the barrier, which then breaks.
    everyone_claimed, log = threading.Barrier(experts, timeout=GIVE_UP), []

    def claim_and_hold(expert):
        try:
            with transaction.atomic():
                claimed = reviewing.claim(review_set=review_set, expert=expert)
                slot = Slot.objects.get(
                    review_set=review_set, image_id=claimed.review.image_id, expert=expert
                )
                everyone_claimed.wait()
                log.append((expert.pk, slot.pk, slot.image_id))
        except BaseException as exc:  # reported by the main thread
            log.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim_and_hold, args=(expert,)) for expert in panel]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * GIVE_UP)

    errors = [entry for entry in log if isinstance(entry, BaseException)]
    assert not errors, errors
    assert len({slot for _, slot, _ in log}) == experts  # eight different slots
    # Between them, the first slots of the queue: both slots of each of the first four images.
    assert Counter(image for _, _, image in log) == dict.fromkeys(in_order[:4], 2)
    assert Slot.objects.filter(review_set=review_set, state=SlotState.LEASED).count() == experts


@pytest.mark.django_db(transaction=True)
def test_a_claim_while_another_claim_holds_the_first_slot_takes_the_next_image(catalogue):
    review_set, (ada, ben), in_order = make_panel(2, images=3, overlap=1)
    holding, release, released, log = threading.Event(), threading.Event(), threading.Event(), []

    def hold_first():
        try:
            with transaction.atomic():
                log.append(reviewing.claim(review_set=review_set, expert=ada).review.image_id)
                holding.set()
                release.wait(timeout=GIVE_UP)
                released.set()  # still inside the transaction: its locks are held until here
        except BaseException as exc:
            log.append(exc)
        finally:
            holding.set()
            connection.close()

    holder = threading.Thread(target=hold_first)
    holder.start()
    assert holding.wait(timeout=GIVE_UP)
    if on_postgresql():
        # Ada's transaction holds the first slot locked: Ben's claim passes over it at once.
        claimed = reviewing.claim(review_set=review_set, expert=ben)
        held_meanwhile = not released.is_set()
        release.set()
    else:
        # SQLite: Ben's claim waits for Ada's transaction (the database's one writer), then
        # finds the first slot taken.
        claims = []
        claimer = threading.Thread(
            target=lambda: (
                claims.append(reviewing.claim(review_set=review_set, expert=ben)),
                connection.close(),
            )
        )
        claimer.start()
        release.set()
        claimer.join(timeout=GIVE_UP)
        claimed, held_meanwhile = claims[0], None
    holder.join(timeout=GIVE_UP)

    assert log == [in_order[0]]
    assert claimed.review.image_id == in_order[1]
    if on_postgresql():
        assert held_meanwhile  # Ben's claim returned while Ada's transaction was still open
    leased = Slot.objects.filter(review_set=review_set, state=SlotState.LEASED)
    assert sorted(leased.values_list("image_id", "expert_id")) == sorted(
        [(in_order[0], ada.pk), (in_order[1], ben.pk)]
    )


@pytest.mark.django_db(transaction=True)
def test_a_claim_waits_for_the_last_slot_locked_by_a_claim_that_does_not_take_it(catalogue):
    if not on_postgresql():
        pytest.skip("row locks are PostgreSQL's; SQLite's claims run one at a time")
    review_set, (ada, ben), in_order = make_panel(2, images=2, overlap=1)
    assert reviewing.claim(review_set=review_set, expert=ada).review.image_id == in_order[0]
    holding, release, log, claims = threading.Event(), threading.Event(), [], []

    def claim_again_and_hold():
        # Ada's page reloads: her claim hands back the image she holds, but on its way it locked
        # the one open slot left (the last image's), until her transaction ends.
        try:
            with transaction.atomic():
                log.append(reviewing.claim(review_set=review_set, expert=ada).review.image_id)
                holding.set()
                release.wait(timeout=GIVE_UP)
        except BaseException as exc:
            log.append(exc)
        finally:
            holding.set()
            connection.close()

    def claim_last():
        try:
            claims.append(reviewing.claim(review_set=review_set, expert=ben))
        except BaseException as exc:
            claims.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=claim_again_and_hold)
    holder.start()
    assert holding.wait(timeout=GIVE_UP)
    claimer = threading.Thread(target=claim_last)
    claimer.start()
    # Ben's claim finds every free slot locked; rather than answer that nothing is left, it
    # looks again and waits for the lock. Ada's transaction ends once he is seen waiting.
    with connection.cursor() as cursor:
        for _ in range(GIVE_UP * 20):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] or not claimer.is_alive():
                break
            threading.Event().wait(0.05)
    release.set()
    holder.join(timeout=GIVE_UP)
    claimer.join(timeout=GIVE_UP)

    assert log == [in_order[0]]
    assert len(claims) == 1 and not isinstance(claims[0], BaseException), claims
    assert claims[0] is not None and claims[0].review.image_id == in_order[1]
