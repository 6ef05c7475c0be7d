"""A cut never freezes by accident: the preview lists open disagreements, undecided flags and
images below their overlap; the cut happens only as confirmed; a cut or an import whose TFDS
export the builder could not build (an empty ImageNet-M) is refused and stores nothing."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotator.catalogue import file_name_of
from releases.exchange import ImageLabels, LabelFile, tfds_build_problems
from releases.models import Release, ReleaseImage
from releases.services.cut import (
    CutNotConfirmed,
    cut_confirmed_release,
    cut_release_with_imagenet_m,
    preview_cut,
)
from releases.services.releases import store_release
from reviews.services.adjudication import adjudicate, decide_flag
from reviews.services.reviewing import claim_next, save_verdicts, set_flags, submit_review

EXCERPT = Path(__file__).resolve().parents[1] / "data" / "exchange" / "human_accuracy_fixed.json"


def review(review_set, expert, verdicts, reasons=()):
    current = claim_next(review_set=review_set, expert=expert)
    save_verdicts(review=current, expert=expert, verdicts=verdicts)
    if reasons:
        set_flags(review=current, expert=expert, reasons=reasons, note="looks drawn")
    return submit_review(review=current, expert=expert)


@pytest.fixture
def unsettled(review_set, experts, images):
    """Image 0: ada and ben disagree on class 58; image 1: ada flagged it; image 2: only ada has
    reviewed it of the two the set asks for."""
    ada, ben, _ = experts
    review(review_set, ada, {65: "correct", 58: "wrong", 62: "wrong"})
    review(review_set, ada, {65: "correct"}, reasons=["artwork"])
    review(review_set, ada, {58: "correct", 65: "wrong"})
    review(review_set, ben, {65: "correct", 58: "correct", 62: "wrong"})
    review(review_set, ben, {65: "correct"})
    return images


# The TFDS rule, without the database


def labels(*numbers: int) -> dict[int, ImageLabels]:
    return {n: ImageLabels(n, frozenset({1}), frozenset(), frozenset()) for n in numbers}


def test_an_empty_imagenet_m_is_a_split_the_tfds_builder_cannot_build():
    problems = tfds_build_problems(LabelFile(images=labels(1, 2), problematic={}, imagenet_m=[]))
    assert len(problems) == 1
    assert "imagenet_m split would be empty" in problems[0]
    assert "No examples were yielded" in problems[0]


def test_an_imagenet_m_image_without_labels_or_no_labels_at_all_cannot_be_built():
    outside = tfds_build_problems(LabelFile(images=labels(1), problematic={}, imagenet_m=[1, 7]))
    assert outside == [
        "ImageNet-M lists ILSVRC2012_val_00000007.JPEG, which has no labels (the builder looks "
        "each one up in initial_annots)"
    ]
    nothing = tfds_build_problems(LabelFile(images={}, problematic={}, imagenet_m=[]))
    assert "validation split would be empty" in nothing[0] and len(nothing) == 2


def test_a_file_with_labels_and_a_labelled_imagenet_m_can_be_built():
    assert tfds_build_problems(LabelFile(images=labels(1, 2), problematic={}, imagenet_m=[2])) == []


# The preview


@pytest.mark.django_db
def test_the_preview_lists_disagreements_undecided_flags_and_images_below_their_overlap(
    unsettled,
):
    preview = preview_cut(version="1.0.0", imagenet_m=[unsettled[0].file_name])
    warnings = preview.warnings
    assert [w.number for w in warnings.disagreements] == [unsettled[0].number]
    assert "(58): correct ×1, wrong ×1" in warnings.disagreements[0].detail
    assert warnings.disagreeing_labels == 1
    assert [w.number for w in warnings.undecided_flags] == [unsettled[1].number]
    assert warnings.undecided_flags[0].detail.endswith("computer rendering (ada: “looks drawn”)")
    assert [w.number for w in warnings.under_overlap] == [unsettled[2].number]
    assert warnings.under_overlap[0].detail == "1 of 2 reviews in “snakes”"
    assert warnings.images == 3 and preview.image_count == 3 and preview.refusals == []
    assert not Release.objects.exists()


@pytest.mark.django_db
def test_deciding_in_the_adjudication_queue_clears_those_warnings(unsettled, lead):
    adjudicate(image=unsettled[0], label=58, value="wrong", lead=lead)
    decide_flag(image=unsettled[1], confirmed=False, lead=lead)
    warnings = preview_cut(version="1.0.0", imagenet_m=[unsettled[0].file_name]).warnings
    assert warnings.disagreements == [] and warnings.undecided_flags == []
    assert [w.number for w in warnings.under_overlap] == [unsettled[2].number]


@pytest.mark.django_db
def test_images_an_earlier_release_froze_are_not_warned_about_again(unsettled, lead):
    cut_confirmed_release(
        version="1.0.0",
        created_by=lead,
        imagenet_m=[unsettled[0].file_name],
        fingerprint=preview_cut(version="1.0.0", imagenet_m=[unsettled[0].file_name]).fingerprint,
        acknowledged=True,
    )
    assert preview_cut(version="1.1.0", imagenet_m=[unsettled[0].file_name]).warnings.images == 0


# The confirmation


@pytest.mark.django_db
def test_the_cut_stores_what_the_preview_said_once_confirmed(unsettled, lead):
    preview = preview_cut(version="1.0.0", imagenet_m=[unsettled[0].file_name])
    release = cut_confirmed_release(
        version="1.0.0",
        created_by=lead,
        notes="first",
        imagenet_m=[unsettled[0].file_name],
        fingerprint=preview.fingerprint,
        acknowledged=True,
    )
    stored = json.loads(bytes(release.exchange))
    # The open disagreement is frozen as unclear, the undecided flag as problematic.
    assert stored["initial_annots"][unsettled[0].file_name]["unclear"] == ["n01737021"]
    assert list(stored["problematic_images"]) == [unsettled[1].file_name]
    assert (release.image_count, release.problematic_count, release.imagenet_m_count) == (3, 1, 1)


@pytest.mark.django_db
def test_a_cut_with_warnings_is_refused_without_the_lead_ticking_the_box(unsettled, lead):
    preview = preview_cut(version="1.0.0", imagenet_m=[unsettled[0].file_name])
    with pytest.raises(CutNotConfirmed, match="frozen as they are"):
        cut_confirmed_release(
            version="1.0.0",
            created_by=lead,
            imagenet_m=[unsettled[0].file_name],
            fingerprint=preview.fingerprint,
            acknowledged=False,
        )
    assert not Release.objects.exists()


@pytest.mark.django_db
def test_a_disagreement_that_came_in_after_the_preview_is_asked_about_again(
    unsettled, experts, review_set, lead
):
    preview = preview_cut(version="1.0.0", imagenet_m=[unsettled[0].file_name])
    review(review_set, experts[1], {58: "wrong", 65: "wrong"})  # ben on image 2: 58 disputed
    with pytest.raises(CutNotConfirmed, match="1 new warning came in") as asked:
        cut_confirmed_release(
            version="1.0.0",
            created_by=lead,
            imagenet_m=[unsettled[0].file_name],
            fingerprint=preview.fingerprint,
            acknowledged=True,
        )
    assert not Release.objects.exists()
    again = asked.value.preview.warnings
    assert unsettled[2].number in [w.number for w in again.disagreements]


@pytest.mark.django_db
def test_a_warning_settled_after_the_preview_needs_no_new_confirmation(unsettled, lead):
    preview = preview_cut(version="1.0.0", imagenet_m=[unsettled[0].file_name])
    adjudicate(image=unsettled[0], label=58, value="correct", lead=lead)
    release = cut_confirmed_release(
        version="1.0.0",
        created_by=lead,
        imagenet_m=[unsettled[0].file_name],
        fingerprint=preview.fingerprint,
        acknowledged=True,
    )
    stored = json.loads(bytes(release.exchange))["initial_annots"][unsettled[0].file_name]
    assert "n01737021" in stored["correct"]


@pytest.mark.django_db
def test_a_forged_fingerprint_is_asked_about_again(unsettled, lead):
    with pytest.raises(CutNotConfirmed):
        cut_confirmed_release(
            version="1.0.0",
            created_by=lead,
            imagenet_m=[unsettled[0].file_name],
            fingerprint="[]",
            acknowledged=True,
        )
    assert not Release.objects.exists()


@pytest.mark.django_db
def test_a_settled_panel_is_cut_without_a_tick(review_set, experts, lead, images):
    ada, ben, _ = experts
    for expert in (ada, ben):
        for verdicts in ({65: "correct", 58: "wrong", 62: "wrong"}, {65: "correct"}):
            review(review_set, expert, verdicts)
        review(review_set, expert, {58: "wrong", 65: "correct"})
    preview = preview_cut(version="1.0.0", imagenet_m=[images[0].file_name])
    assert preview.warnings.images == 0
    release = cut_confirmed_release(
        version="1.0.0",
        created_by=lead,
        imagenet_m=[images[0].file_name],
        fingerprint=preview.fingerprint,
        acknowledged=False,
    )
    assert release.image_count == 3


# The TFDS rule at every way in


@pytest.mark.django_db
def test_a_cut_with_an_empty_imagenet_m_is_refused_with_the_reason_and_stores_nothing(
    unsettled, lead
):
    preview = preview_cut(version="1.0.0")
    assert len(preview.refusals) == 1 and "imagenet_m split would be empty" in preview.refusals[0]
    for cut in (
        lambda: cut_release_with_imagenet_m(version="1.0.0", created_by=lead),
        lambda: cut_confirmed_release(
            version="1.0.0", created_by=lead, fingerprint=preview.fingerprint, acknowledged=True
        ),
    ):
        with pytest.raises(ValidationError, match="No examples were yielded"):
            cut()
    assert not Release.objects.exists() and not ReleaseImage.objects.exists()


@pytest.mark.django_db
def test_a_cut_whose_imagenet_m_image_has_no_labels_is_refused(unsettled, lead, images):
    other = file_name_of(images[2].number + 1)
    with pytest.raises(ValidationError, match=f"ImageNet-M lists {other}, which has no labels"):
        cut_release_with_imagenet_m(version="1.0.0", created_by=lead, imagenet_m=[other])
    assert not Release.objects.exists()


@pytest.mark.django_db
def test_importing_a_file_whose_imagenet_m_is_empty_is_refused_and_stores_nothing(tmp_path):
    document = json.loads(EXCERPT.read_text())
    document["imagenet_m"] = []
    path = tmp_path / "no-imagenet-m.json"
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="imagenet_m split would be empty"):
        call_command("import_labels", str(path), "--release", "4.0.0", stdout=StringIO())
    assert not Release.objects.exists() and not ReleaseImage.objects.exists()


# The page


@pytest.mark.django_db
def test_the_cut_form_shows_the_preview_with_links_and_stores_nothing(client, lead, unsettled):
    client.force_login(lead)
    response = client.post(
        reverse("release:cut"),
        {"version": "1.0.0", "notes": "first", "imagenet_m": unsettled[0].file_name},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cut release 1.0.0?" in page
    assert "3 images would be frozen before the panel settled them" in page
    assert "Open disagreements: 1 image, 1 label, frozen as <em>unclear</em>" in page
    assert "Undecided flags: 1 image, frozen as <em>problematic</em>" in page
    assert "Below their overlap: 1 image, frozen on fewer reviews than asked" in page
    queue = reverse("adjudication:queue")
    assert page.count(f'href="{queue}"') >= 3
    # Each disputed or flagged image opens its case in the queue; the others their image page.
    assert f'href="{queue}?image={unsettled[0].number}"' in page
    assert f'href="{queue}?image={unsettled[1].number}"' in page
    assert f'href="{reverse("annotator:image-detail", args=[unsettled[2].number])}"' in page
    assert "I understand that these 3 images will be frozen as they are" in page
    assert not Release.objects.exists()


def confirm(client, page: str, **fields):
    """Send the preview page's confirmation form as the browser would, with ``fields`` on top."""
    hidden = {
        name: page.split(f'name="{name}" value="', 1)[1].split('"', 1)[0]
        for name in ("version", "notes", "imagenet_m", "fingerprint")
    }
    return client.post(reverse("release:cut"), {**hidden, "step": "confirm", **fields})


@pytest.mark.django_db
def test_the_page_cuts_only_with_the_box_ticked_and_once_when_sent_twice(client, lead, unsettled):
    client.force_login(lead)
    form = {"version": "1.0.0", "notes": "first", "imagenet_m": unsettled[0].file_name}
    page = client.post(reverse("release:cut"), form).content.decode()

    refused = confirm(client, page)
    assert refused.status_code == 409 and "Tick the box" in refused.content.decode()
    assert not Release.objects.exists()

    response = confirm(client, page, acknowledged="on")
    assert response.status_code == 302 and Release.objects.get().notes == "first"
    again = confirm(client, page, acknowledged="on")
    assert again.status_code == 302 and Release.objects.count() == 1
    listing = client.get(again["Location"]).content.decode()
    assert "Release 1.0.0 was cut once; the confirmation was sent again" in listing


@pytest.mark.django_db
def test_the_page_refuses_an_empty_imagenet_m_with_the_reason_and_keeps_the_input(
    client, lead, unsettled
):
    client.force_login(lead)
    response = client.post(reverse("release:cut"), {"version": "1.0.0", "notes": "keep me"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This cut is refused: the TFDS builder could not build its export" in page
    assert "imagenet_m split would be empty" in page and ">keep me</textarea>" in page
    assert not Release.objects.exists()


@pytest.mark.django_db
def test_changing_the_input_from_the_preview_goes_back_to_the_form(client, lead, unsettled):
    client.force_login(lead)
    form = {"version": "1.0.0", "notes": "first", "imagenet_m": unsettled[0].file_name}
    page = client.post(reverse("release:cut"), form).content.decode()
    response = confirm(client, page, step="edit")
    assert response.status_code == 200
    assert 'value="1.0.0"' in response.content.decode() and not Release.objects.exists()


@pytest.mark.django_db
def test_two_cuts_of_one_version_racing_store_one_release_and_refuse_the_other(unsettled, lead):
    preview = preview_cut(version="1.0.0", imagenet_m=[unsettled[0].file_name])
    first = store_release(
        label_file=preview.label_file,
        version="1.0.0",
        notes="",
        source="consensus",
        created_by=lead,
    )
    # The second had checked the version before the first was stored: the database refuses it,
    # and the transaction goes on (a savepoint, on PostgreSQL too).
    with pytest.raises(ValidationError, match="Release 1.0.0 exists already"):
        store_release(
            label_file=preview.label_file,
            version="1.0.0",
            notes="",
            source="consensus",
            created_by=lead,
        )
    assert list(Release.objects.values_list("pk", flat=True)) == [first.pk]
