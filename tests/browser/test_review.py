"""The review page in a real browser: a whole keyboard review, adding a class by search,
flagging, undo, a reload that keeps everything, going back to an image, a lost lease, two tabs
on one review, a session that ends mid-review, zoom and the blind rule."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import expect

from annotator.models import ImageClass, ValImage
from demo.data import DEMO_PICTURES
from reviews.models import Review, ReviewStatus, Slot, Verdict
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from tests.browser.conftest import log_in, screenshot
from tests.factories import attach_picture, make_candidates

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password"

# The images of the tests: an original class and its candidates (wnid -> top-1 votes).
# The review sets go class by class, so they are handed out in this order.
IMAGES = [
    ("n01751748", {"n01751748": 30, "n01737021": 20, "n01744401": 14}),  # sea snake, 65
    ("n02099712", {"n02104029": 25, "n02099712": 22}),  # Labrador retriever, 208
    ("n03642806", {"n03642806": 41, "n03180011": 12, "n03179701": 3}),  # laptop, 620
]


def watch_requests(context):
    """A function that waits (a few seconds at most) until the context's requests in flight
    have finished. The review page claims the next image ahead and submits in the background;
    a test that ends while the server still answers one would race the emptying of the
    database after it (on PostgreSQL, TRUNCATE against the request's locks: a deadlock)."""
    in_flight = set()
    context.on("request", lambda request: in_flight.add(request))
    context.on("requestfinished", lambda request: in_flight.discard(request))
    context.on("requestfailed", lambda request: in_flight.discard(request))

    def settle(page) -> None:
        for _ in range(100):
            if not in_flight:
                return
            page.wait_for_timeout(50)

    return settle


@pytest.fixture(autouse=True)
def requests_settle(request):
    """Each test ends when its page's requests have (see :func:`watch_requests`)."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    settle = watch_requests(page.context)
    yield
    if not page.is_closed():
        settle(page)


def _attach_demo_picture(image: ValImage) -> ValImage:
    """The demo's stand-in picture of the image's class, so that screenshots look real."""
    path = next(DEMO_PICTURES.glob(f"{image.original_label.wnid}_*.JPEG"), None)
    if path is None:
        return attach_picture(image, stand_in=True)
    data = path.read_bytes()
    picture = Image.open(io.BytesIO(data))
    thumbnail = picture.convert("RGB")
    thumbnail.thumbnail((256, 256))
    buffer = io.BytesIO()
    thumbnail.save(buffer, "JPEG")
    image.picture.save(f"pictures/{image.file_name}", ContentFile(data), save=False)
    image.thumbnail.save(
        f"thumbnails/{image.file_name}", ContentFile(buffer.getvalue()), save=False
    )
    image.width, image.height = picture.size
    image.color_mode = picture.mode
    image.is_stand_in = True
    image.picture_imported_at = datetime.now(UTC)
    image.save()
    return image


def _index(wnid: str) -> int:
    return ImageClass.objects.get(wnid=wnid).index


def _make_review_set(count: int = 3, overlap: int = 1, name: str = "Snakes and laptops"):
    lead = add_panel_member(username="lena", password="lead-pass-2026", lead=True)[0]
    numbers = []
    for wnid, votes in IMAGES[:count]:
        first, *others = ValImage.objects.filter(original_label__wnid=wnid).order_by("number")[:3]
        _attach_demo_picture(first)
        make_candidates(first, {_index(label): top1 for label, top1 in votes.items()})
        numbers.append(first.number)
        # Two more pictures of the class give the page its example thumbnails.
        for other in others:
            _attach_demo_picture(other)
    review_set = create_review_set(
        name=name,
        images=ValImage.objects.filter(number__in=numbers),
        overlap=overlap,
        created_by=lead,
    )
    return review_set, numbers


def _expert(username: str = "ada"):
    return add_panel_member(username=username, password=PASSWORD)[0]


def _open_review_page(page, review_set, username: str = "ada"):
    log_in(page, username, PASSWORD)
    page.goto(f"/review/sets/{review_set.pk}/")
    expect(page.locator("#labels li").first).to_be_visible()


def _file_name(page) -> str:
    return page.locator("#file-name").inner_text()


def _wait_saved(page):
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")


def _pressed(page) -> list[str]:
    """The verdict shown on each label, in order ("" when none)."""
    return [
        item.get_attribute("data-verdict").replace("none", "")
        for item in page.locator("#labels > li").all()
    ]


def _verdicts(review: Review) -> dict[int, str]:
    return dict(review.verdicts.values_list("label_id", "value"))


def test_expert_reviews_three_images_with_the_keyboard_alone(page):
    review_set, numbers = _make_review_set()
    ada = _expert()
    _open_review_page(page, review_set)

    # Image 1, sea snake: 1 correct (moves on to 2), 2 wrong, 3 unclear.
    first = _file_name(page)
    assert first == ValImage.objects.get(number=numbers[0]).file_name
    labels = page.locator("#labels > li")
    expect(labels).to_have_count(3)
    expect(labels.first).to_contain_text("sea snake")
    expect(labels.first.locator(".original-badge")).to_be_visible()
    expect(labels.first).to_contain_text("30 votes")
    expect(labels.first).to_have_class("label selected")
    page.keyboard.press("c")
    expect(labels.nth(1)).to_have_class("label selected")
    page.keyboard.press("w")
    page.keyboard.press("u")
    assert _pressed(page) == ["correct", "wrong", "unclear"]
    expect(labels.first.get_by_role("button", name="Correct")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#judged-count")).to_have_text("3 of 3 judged")
    _wait_saved(page)
    screenshot(page, "review_judged")

    # Enter submits; the next image is on screen without a page load.
    page.keyboard.press("Enter")
    expect(page.locator("#file-name")).not_to_have_text(first)
    second = _file_name(page)
    assert second == ValImage.objects.get(number=numbers[1]).file_name

    # Image 2, Labrador retriever: digits and arrows select; Shift+W marks the rest wrong.
    expect(page.locator("#labels > li")).to_have_count(2)
    page.keyboard.press("2")
    page.keyboard.press("c")  # the last label: the selection stays
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Shift+W")
    assert _pressed(page) == ["wrong", "correct"]
    page.keyboard.press("Enter")
    expect(page.locator("#file-name")).not_to_have_text(second)

    # Image 3, laptop: Enter with a label unjudged does not submit but points at it.
    expect(page.locator("#labels > li").first).to_contain_text("laptop")
    page.keyboard.press("3")
    page.keyboard.press("u")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("k")  # already at the top: stays
    page.keyboard.press("c")
    page.keyboard.press("Enter")
    expect(page.locator("#save-status")).to_contain_text("Judge every label first")
    expect(page.locator("#labels > li").nth(1)).to_have_class("label selected")
    page.keyboard.press("j")  # on to the last label and back with k
    page.keyboard.press("k")
    page.keyboard.press("w")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("no image left for you")
    screenshot(page, "review_nothing_left")

    reviews = {review.image_id: review for review in Review.objects.filter(expert=ada)}
    assert all(review.status == ReviewStatus.SUBMITTED for review in reviews.values())

    page.get_by_role("link", name="Back to the review sets").click()
    expect(page.get_by_role("heading", name="Snakes and laptops")).to_be_visible()
    expect(page.get_by_text("3 of 3 reviews done (100 %)")).to_be_visible()
    recent = page.locator(".recent-reviews")
    for number in numbers:
        expect(recent).to_contain_text(ValImage.objects.get(number=number).file_name)
    screenshot(page, "review_home")
    assert _verdicts(reviews[numbers[0]]) == {65: "correct", 58: "wrong", 62: "unclear"}
    assert _verdicts(reviews[numbers[1]]) == {222: "wrong", 208: "correct"}
    assert _verdicts(reviews[numbers[2]]) == {620: "correct", 527: "wrong", 526: "unclear"}
    assert all(review.seconds_spent > 0 for review in reviews.values())


def test_expert_adds_a_class_found_by_search_judges_it_and_removes_another(page):
    review_set, numbers = _make_review_set(count=1)
    ada = _expert()
    _open_review_page(page, review_set)

    page.keyboard.press("/")
    search = page.get_by_role("combobox", name="Add a class as a label")
    expect(search).to_be_focused()
    search.type("tank suit")
    options = page.get_by_role("option")
    expect(options.first).to_contain_text("maillot")
    expect(options.first).to_contain_text("n03710721")
    screenshot(page, "review_class_search")
    page.keyboard.press("Enter")

    labels = page.locator("#labels > li")
    expect(labels).to_have_count(4)
    added = labels.nth(3)
    expect(added).to_contain_text("maillot")
    expect(added.locator(".added-badge")).to_be_visible()
    expect(added).to_have_class("label selected")
    # The server's copy of the new label brings similar classes to add with one click; they
    # show beside the picture while the label is selected.
    details = page.locator("#label-details")
    expect(details).to_contain_text("maillot")
    expect(details.locator(".chip").first).to_be_visible()
    page.keyboard.press("c")
    _wait_saved(page)
    page.keyboard.press("4")

    # A similar class of the added one, added with a click, then removed with Delete.
    chip = details.locator(".chip").first
    chip_label = int(chip.get_attribute("data-add-class"))
    chip.click()
    expect(labels).to_have_count(5)
    expect(labels.nth(4)).to_have_class("label selected")
    _wait_saved(page)
    page.keyboard.press("Delete")
    expect(labels).to_have_count(4)
    _wait_saved(page)

    review = Review.objects.get(expert=ada)
    verdict = Verdict.objects.get(review=review, label_id=639)
    assert (verdict.added, verdict.value) == (True, "correct")
    assert not Verdict.objects.filter(review=review, label_id=chip_label).exists()

    # Added classes are judged like the candidates before submitting.
    page.keyboard.press("1")
    page.keyboard.press("Shift+W")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("no image left for you")
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert _verdicts(review) == {65: "wrong", 58: "wrong", 62: "wrong", 639: "correct"}


def test_expert_flags_the_image_with_a_reason_and_a_note_and_comments(page):
    review_set, _ = _make_review_set(count=1)
    ada = _expert()
    _open_review_page(page, review_set)

    page.keyboard.press("f")
    first_reason = page.get_by_label("Its original ImageNet label is wrong or unclear")
    expect(first_reason).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the second reason: artwork
    expect(page.get_by_label("A drawing, painting, sketch")).to_be_checked()
    page.get_by_label("Note on the problem").fill("A museum drawing of a sea snake.")
    page.keyboard.press("Escape")  # leave the field: keys work again
    page.keyboard.press("n")
    expect(page.get_by_label("Comment")).to_be_focused()
    page.keyboard.type("Scales look painted.")
    _wait_saved(page)
    screenshot(page, "review_flagged")

    review = Review.objects.get(expert=ada)
    assert review.problem_reasons == ["artwork"]
    assert review.problem_note == "A museum drawing of a sea snake."
    assert review.comment == "Scales look painted."


def test_undo_takes_back_verdicts_an_added_class_and_a_flag_in_reverse_order(page):
    review_set, _ = _make_review_set(count=1)
    ada = _expert()
    _open_review_page(page, review_set)
    undo_button = page.get_by_role("button", name="Undo")
    expect(undo_button).to_be_disabled()

    page.keyboard.press("c")
    page.keyboard.press("w")
    page.get_by_label("Heavily edited").check()
    page.keyboard.press("/")
    page.keyboard.type("n03710637")
    expect(page.get_by_role("option").first).to_contain_text("maillot")
    page.keyboard.press("Enter")
    expect(page.locator("#labels > li")).to_have_count(4)
    _wait_saved(page)

    page.keyboard.press("Control+z")  # the added class goes
    expect(page.locator("#labels > li")).to_have_count(3)
    page.keyboard.press("Backspace")  # the flag
    expect(page.get_by_label("Heavily edited")).not_to_be_checked()
    page.keyboard.press("Backspace")  # the wrong on label 2
    assert _pressed(page) == ["correct", "", ""]
    expect(page.locator("#labels > li").nth(1)).to_have_class("label selected")
    _wait_saved(page)

    review = Review.objects.get(expert=ada)
    assert _verdicts(review) == {65: "correct", 58: ""}
    assert review.problem_reasons == []
    undo_button.click()
    _wait_saved(page)
    assert _verdicts(review) == {65: "", 58: ""}
    expect(undo_button).to_be_disabled()


def test_reload_brings_back_the_same_image_with_every_change(page):
    review_set, _ = _make_review_set(count=2)
    _expert()
    _open_review_page(page, review_set)
    file_name = _file_name(page)
    page.keyboard.press("w")
    page.keyboard.press("u")
    page.get_by_label("Inappropriate content").check()
    page.get_by_label("Comment").fill("Half of the picture is cut off.")
    page.keyboard.press("Escape")
    _wait_saved(page)

    page.reload()

    expect(page.locator("#labels li").first).to_be_visible()
    assert _file_name(page) == file_name
    assert _pressed(page) == ["wrong", "unclear", ""]
    # the first label without a verdict is selected
    expect(page.locator("#labels > li").nth(2)).to_have_class("label selected")
    expect(page.get_by_label("Inappropriate content")).to_be_checked()
    expect(page.get_by_label("Comment")).to_have_value("Half of the picture is cut off.")
    screenshot(page, "review_after_reload")


def test_back_reopens_the_previous_image_to_change_it_then_returns(page):
    review_set, numbers = _make_review_set(count=2)
    ada = _expert()
    _open_review_page(page, review_set)
    first = _file_name(page)
    page.keyboard.press("Shift+W")
    page.keyboard.press("Enter")
    expect(page.locator("#file-name")).not_to_have_text(first)
    second = _file_name(page)
    page.keyboard.press("c")  # a verdict on the second image, kept while we go back

    page.keyboard.press("b")
    expect(page.locator("#file-name")).to_have_text(first)
    submitted = Review.objects.get(expert=ada, image_id=numbers[0])
    assert page.url.endswith(f"/review/reviews/{submitted.pk}/")
    expect(page.locator("#review-state")).to_contain_text("You submitted this review")
    expect(page.locator("#submit-button")).to_contain_text("Save and go on")
    page.keyboard.press("1")
    page.keyboard.press("u")
    _wait_saved(page)
    assert _verdicts(submitted)[65] == "unclear"
    screenshot(page, "review_reopened")

    page.keyboard.press("Enter")
    expect(page.locator("#file-name")).to_have_text(second)
    assert page.url.endswith(f"/review/sets/{review_set.pk}/")
    assert _pressed(page)[0] == "correct"
    submitted.refresh_from_db()
    assert submitted.status == ReviewStatus.SUBMITTED
    assert submitted.events.filter(action="resubmit").exists()


def test_skip_hands_the_image_back_and_shows_the_next(page):
    review_set, numbers = _make_review_set(count=2)
    ada = _expert()
    _open_review_page(page, review_set)
    page.keyboard.press("c")  # a verdict on a skipped image stays the expert's own business
    _wait_saved(page)

    page.keyboard.press("s")

    expect(page.locator("#file-name")).to_have_text(
        ValImage.objects.get(number=numbers[1]).file_name
    )
    expect(page.locator("#save-status")).to_contain_text("Skipped")
    skipped = Review.objects.get(expert=ada, image_id=numbers[0])
    assert skipped.status == ReviewStatus.SKIPPED
    assert Slot.objects.get(image_id=numbers[0]).expert is None  # back in the queue


def test_a_lost_lease_is_said_plainly_and_the_next_image_is_offered(page):
    review_set, numbers = _make_review_set(count=2)
    ada = _expert()
    _open_review_page(page, review_set)
    first = _file_name(page)
    # The lease lapsed and another expert took the image (not the next one, claimed ahead).
    ben = _expert("ben")
    Slot.objects.filter(expert=ada, image_id=numbers[0]).update(
        expert=ben, leased_until=datetime.now(UTC) + timedelta(minutes=30)
    )

    page.keyboard.press("c")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("not leased to you any more")
    next_image = page.get_by_role("button", name="Next image")
    expect(next_image).to_be_focused()
    screenshot(page, "review_lost_lease")
    page.keyboard.press("Enter")
    expect(page.locator("#file-name")).not_to_have_text(first)
    expect(alert).to_be_hidden()
    assert _file_name(page) == ValImage.objects.get(number=numbers[1]).file_name


def test_a_verdict_sent_while_the_connection_drops_is_sent_again_and_saved(page):
    review_set, numbers = _make_review_set(count=1)
    ada = _expert()
    _open_review_page(page, review_set)
    dropped = []

    def drop_once(route):
        if dropped:
            route.fallback()
            return
        dropped.append(route.request.url)
        route.abort("internetdisconnected")

    page.route("**/api/reviews/*/verdicts/", drop_once)
    page.keyboard.press("c")

    expect(page.locator("#save-status")).to_have_text(
        "Not saved yet: The server cannot be reached: check the network. Trying again…"
    )
    _wait_saved(page)
    assert len(dropped) == 1
    assert _verdicts(Review.objects.get(expert=ada)) == {65: "correct"}


def _second_tab(page, review_set):
    """Another tab of the same browser (the same session) on the same review set."""
    tab = page.context.new_page()
    tab.goto(f"/review/sets/{review_set.pk}/")
    expect(tab.locator("#labels li").first).to_be_visible()
    return tab


CONFLICT = "This review was changed in another tab: reloaded"


def test_a_stale_tab_says_the_review_changed_and_shows_what_the_other_tab_saved(page):
    review_set, numbers = _make_review_set(count=1)
    ada = _expert()
    _open_review_page(page, review_set)
    tab_b = _second_tab(page, review_set)
    assert _file_name(tab_b) == _file_name(page)

    # Tab A judges every label; tab B, opened before, still shows none.
    page.keyboard.press("c")
    page.keyboard.press("w")
    page.keyboard.press("w")
    _wait_saved(page)
    assert _pressed(tab_b) == ["", "", ""]

    tab_b.keyboard.press("u")  # "unclear" on the first label, from the old state

    status = tab_b.get_by_role("status").filter(has_text=CONFLICT)
    expect(status).to_be_visible()
    expect(tab_b.locator("#save-status")).to_have_attribute("data-state", "error")
    expect(tab_b.locator("#labels > li").first).to_have_attribute("data-verdict", "correct")
    assert _pressed(tab_b) == ["correct", "wrong", "wrong"]
    expect(tab_b.locator("#judged-count")).to_have_text("3 of 3 judged")
    screenshot(tab_b, "review_stale_tab")
    review = Review.objects.get(expert=ada)
    assert _verdicts(review) == {65: "correct", 58: "wrong", 62: "wrong"}

    # Tab B goes on from the reloaded state: its next change is saved.
    tab_b.keyboard.press("1")
    tab_b.keyboard.press("u")
    _wait_saved(tab_b)
    assert _verdicts(review)[65] == "unclear"


def test_a_stale_tab_cannot_revise_a_review_the_other_tab_submitted(page):
    review_set, numbers = _make_review_set(count=2)
    ada = _expert()
    _open_review_page(page, review_set)
    first = _file_name(page)
    tab_b = _second_tab(page, review_set)

    page.keyboard.press("Shift+W")
    page.keyboard.press("Enter")  # tab A submits and moves on
    expect(page.locator("#file-name")).not_to_have_text(first)
    # The next image shows at once; the submit is stored a moment later.
    expect(page.locator("#save-status")).to_have_text(f"Submitted {first}")

    tab_b.keyboard.press("c")

    expect(tab_b.locator("#save-status")).to_have_text(CONFLICT)
    expect(tab_b.locator("#labels > li").first).to_have_attribute("data-verdict", "wrong")
    assert _pressed(tab_b) == ["wrong", "wrong", "wrong"]
    expect(tab_b.locator("#review-state")).to_contain_text("You submitted this review")
    submitted = Review.objects.get(expert=ada, image_id=numbers[0])
    assert submitted.status == ReviewStatus.SUBMITTED
    assert _verdicts(submitted) == {65: "wrong", 58: "wrong", 62: "wrong"}
    assert not submitted.events.filter(action="revise verdicts").exists()


def test_a_session_ended_in_another_tab_says_log_in_again_and_shows_the_verdict_not_saved(page):
    review_set, _ = _make_review_set(count=1)
    ada = _expert()
    _open_review_page(page, review_set)
    page.keyboard.press("c")
    _wait_saved(page)
    other = page.context.new_page()
    other.goto("/review/")
    other.get_by_role("button", name="Log out").click()
    other.wait_for_load_state()

    page.keyboard.press("w")  # on the second label, after the session ended

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("You are logged out: log in again (saved work is kept)")
    link = alert.get_by_role("link", name="Log in again")
    expect(link).to_have_attribute(
        "href", f"/accounts/login/?next=%2Freview%2Fsets%2F{review_set.pk}%2F"
    )
    second = page.locator("#labels > li").nth(1)
    expect(second).to_have_attribute("data-verdict", "none")
    expect(second.get_by_role("button", name="Wrong")).to_have_attribute("aria-pressed", "false")
    expect(second.locator(".unsaved")).to_have_text("Wrong: not saved")
    expect(page.locator("#save-status")).to_have_text("Not saved: you are logged out")
    assert _pressed(page) == ["correct", "", ""]
    expect(page.locator("#review-app")).not_to_contain_text("Authentication credentials")
    screenshot(page, "review_logged_out")
    assert _verdicts(Review.objects.get(expert=ada)) == {65: "correct"}

    # The link logs in and comes back to the review, with the saved work.
    link.click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#labels > li").first).to_have_attribute("data-verdict", "correct")
    assert page.url.endswith(f"/review/sets/{review_set.pk}/")
    assert _pressed(page) == ["correct", "", ""]


def test_the_open_page_renews_its_lease(page):
    review_set, _ = _make_review_set(count=1)
    ada = _expert()
    page.clock.install()
    _open_review_page(page, review_set)
    leased_until = Slot.objects.get(expert=ada).leased_until

    with page.expect_response(lambda response: response.url.endswith("/renew/")) as renewal:
        page.clock.run_for("10:00")

    assert renewal.value.status == 200
    assert Slot.objects.get(expert=ada).leased_until > leased_until


def test_picture_zooms_to_full_resolution_and_back_and_help_lists_the_keys(page):
    review_set, _ = _make_review_set(count=1)
    _expert()
    _open_review_page(page, review_set)
    viewport = page.locator("#viewport")
    fitted = page.locator("#picture").bounding_box()["width"]

    page.keyboard.press("z")
    expect(viewport).to_have_class("viewport zoomed")
    expect(page.locator("#zoom-button")).to_have_attribute("aria-pressed", "true")
    zoomed = page.locator("#picture").bounding_box()["width"]
    assert zoomed >= 2 * fitted - 2
    # dragging pans the picture inside the viewport
    box = viewport.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2 - 80, steps=5)
    page.mouse.up()
    expect(viewport).to_have_class("viewport zoomed")
    assert viewport.evaluate("node => node.scrollLeft") > 0
    screenshot(page, "review_zoomed")
    page.keyboard.press("z")
    expect(viewport).to_have_class("viewport")

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("mark every label without a verdict wrong")
    screenshot(page, "review_help")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # On a narrow window the labels go under the picture.
    page.set_viewport_size({"width": 760, "height": 900})
    picture, labels = (
        page.locator("#viewport").bounding_box(),
        page.locator("#labels").bounding_box(),
    )
    assert labels["y"] > picture["y"] + picture["height"]
    screenshot(page, "review_narrow")


def test_blind_rule_second_expert_sees_none_of_the_first_experts_work(page, browser, live_server):
    review_set, _ = _make_review_set(count=1, overlap=2)
    _expert("ada")
    _expert("ben")
    _open_review_page(page, review_set, "ada")
    file_name = _file_name(page)
    page.keyboard.press("c")
    page.keyboard.press("w")
    page.get_by_label("Heavily edited").check()
    page.get_by_label("Comment").fill("Ada's private comment.")
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    page.keyboard.type("tank suit")
    expect(page.get_by_role("option").first).to_contain_text("maillot")
    page.keyboard.press("Enter")
    _wait_saved(page)

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    settle = watch_requests(context)
    try:
        ben_page = context.new_page()
        _open_review_page(ben_page, review_set, "ben")
        assert _file_name(ben_page) == file_name
        assert _pressed(ben_page) == ["", "", ""]  # no added class of Ada's either
        expect(ben_page.locator('#flags input[type="checkbox"]:checked')).to_have_count(0)
        expect(ben_page.get_by_label("Comment")).to_have_value("")
        expect(ben_page.locator("#review-app")).not_to_contain_text("Ada's private comment")
        screenshot(ben_page, "review_blind_second_expert")
        settle(ben_page)
    finally:
        context.close()


def test_a_refused_submit_stays_said_while_the_previous_images_submit_finishes_behind_it(page):
    """The race of a loaded machine, made certain: the previous image's submit (sent in the
    background after the swap) answers only after the expert judged a label of the next image
    and pressed Enter with another label unjudged. The verdict saved after that submit must not
    replace "Judge every label first" with "Saving…" and "All changes saved"."""
    review_set, numbers = _make_review_set()
    ada = _expert()
    held = []
    _open_review_page(page, review_set)
    page.route("**/api/reviews/*/submit/", lambda route: held.append(route))

    first = _file_name(page)
    for key in "cwu":
        page.keyboard.press(key)
    _wait_saved(page)
    expect(page.locator("#review-app")).to_have_attribute("data-next-ready", "true")
    page.keyboard.press("Enter")  # the next image is swapped in; the submit waits, held
    expect(page.locator("#file-name")).not_to_have_text(first)
    expect(page.locator("#labels > li").first).to_contain_text("kuvasz")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1

    page.keyboard.press("1")
    page.keyboard.press("c")  # queued behind the held submit
    page.keyboard.press("Enter")  # the second label has no verdict
    status = page.locator("#save-status")
    expect(status).to_contain_text("Judge every label first")

    with page.expect_response(lambda response: "/verdicts/" in response.url):
        held[0].continue_()
    second = Review.objects.get(expert=ada, image__number=numbers[1])
    assert _verdicts(second) == {222: "correct"}
    assert Review.objects.get(expert=ada, image__number=numbers[0]).status == (
        ReviewStatus.SUBMITTED
    )
    expect(status).not_to_have_attribute("data-state", "saving")  # the queue is done
    expect(status).to_contain_text("Judge every label first")
    expect(status).to_have_attribute("data-state", "error")


def test_keys_pressed_while_the_next_image_loads_apply_to_it_and_enter_says_it_waited(page):
    """The next image is not ready (its claim ahead finds nothing), so Enter submits and then
    claims it, and that claim is held: the expert goes on typing meanwhile. The verdict key goes
    to the next image once it is shown; Enter does not submit an image not seen yet, and says
    so."""
    review_set, numbers = _make_review_set()
    ada = _expert()
    held, armed = [], []

    def claim(route):
        if "ahead" in (route.request.post_data or ""):
            route.fulfill(status=200, content_type="application/json", body="null")
        elif armed and not held:
            held.append(route)
        else:
            route.fallback()

    page.route("**/api/review-sets/*/claim/", claim)
    _open_review_page(page, review_set)
    first = _file_name(page)
    for key in "cwu":
        page.keyboard.press(key)
    _wait_saved(page)
    expect(page.locator("#review-app")).to_have_attribute("data-next-ready", "false")
    armed.append(True)
    page.keyboard.press("Enter")  # submits, then claims the next image: held
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    assert len(held) == 1
    expect(page.locator("#file-name")).to_have_text(first)

    page.keyboard.press("c")  # meant for the next image
    page.keyboard.press("Enter")  # would submit an image not seen yet
    status = page.locator("#save-status")
    expect(status).to_contain_text("Enter was not applied")
    held[0].fallback()

    expect(page.locator("#file-name")).not_to_have_text(first)
    labels = page.locator("#labels > li")
    expect(labels.first).to_contain_text("kuvasz")
    expect(labels.first).to_have_attribute("data-verdict", "correct")
    expect(labels.nth(1)).to_have_class("label selected")
    expect(status).to_contain_text("Enter pressed while this image was loading: not applied")
    second = Review.objects.get(expert=ada, image__number=numbers[1])
    assert second.status == ReviewStatus.DRAFT
    for _ in range(100):  # the verdict, saved
        if _verdicts(second) == {222: "correct"}:
            break
        page.wait_for_timeout(25)
    assert _verdicts(second) == {222: "correct"}
    # The notice stays until the expert changes something.
    expect(status).to_contain_text("not applied")
    page.keyboard.press("w")
    _wait_saved(page)
