"""The release API and pages: listing, reading, streamed exports, diffs, cutting (leads only),
immutability (405), the diff page and cut form, and ``import_labels --as-verdicts``."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from releases.models import Release
from releases.services.releases import consensus_label_file
from reviews.models import Review, ReviewSet, Verdict
from reviews.services.reviewing import claim_next, save_verdicts, submit_review

pytestmark = pytest.mark.django_db

EXCERPT = Path(__file__).resolve().parents[1] / "data" / "exchange" / "human_accuracy_fixed.json"


def import_labels(*args):
    out = StringIO()
    call_command("import_labels", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def two_releases(tmp_path):
    import_labels(str(EXCERPT), "--release", "2.0.0", "--notes", "published")
    document = json.loads(EXCERPT.read_text())
    record = document["initial_annots"]["ILSVRC2012_val_00000001.JPEG"]
    record["unclear"] = [record["wrong"].pop(0)]  # n01665541 (34) goes from wrong to unclear
    document["problematic_images"].pop("ILSVRC2012_val_00000064.JPEG")
    changed = tmp_path / "v3.json"
    changed.write_text(json.dumps(document))
    import_labels(str(changed), "--release", "3.0.0")


def test_panel_lists_and_reads_releases_with_counts(client, ada, two_releases):
    client.force_login(ada)
    listing = client.get("/api/releases/").json()
    assert [release["version"] for release in listing["results"]] == ["3.0.0", "2.0.0"]
    detail = client.get("/api/releases/2.0.0/").json()
    assert detail["notes"] == "published" and detail["source"] == "human_accuracy_fixed.json"
    assert detail["counts"] == {"images": 11, "problematic": 10, "imagenet_m": 3}
    assert len(detail["sha256"]) == 64 and detail["created_by"] is None


def test_listing_releases_takes_a_fixed_number_of_queries(
    client, ada, two_releases, django_assert_max_num_queries
):
    client.force_login(ada)
    # Among them, for an expert: the images under label review, under mistake review.
    with django_assert_max_num_queries(7):
        assert client.get("/api/releases/").status_code == 200


def test_researchers_outside_the_panel_read_releases_and_anonymous_clients_do_not(
    client, two_releases
):
    from tests.factories import make_user

    client.force_login(make_user(username="visitor"))
    listed = client.get("/api/releases/")
    assert listed.status_code == 200
    assert [r["version"] for r in listed.json()["results"]] == ["3.0.0", "2.0.0"]
    assert client.get("/api/releases/2.0.0/export/?format=csv").status_code == 200
    assert client.post("/api/releases/", {"version": "3.0.0"}).status_code == 403
    client.logout()
    assert client.get("/api/releases/").status_code in (401, 403)


def test_unknown_release_is_404_with_detail(client, ada, two_releases):
    client.force_login(ada)
    for url in (
        "/api/releases/9.9.9/",
        "/api/releases/9.9.9/export/",
        "/api/releases/2.0.0/diff/9.9.9/",
    ):
        response = client.get(url)
        assert response.status_code == 404 and "detail" in response.json()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_published_release_cannot_be_changed_or_deleted_through_the_api(
    client, lead, two_releases, method
):
    client.force_login(lead)
    before = Release.objects.get(version="2.0.0")
    response = getattr(client, method)(
        "/api/releases/2.0.0/", {"notes": "changed"}, content_type="application/json"
    )
    assert response.status_code == 405 and "detail" in response.json()
    after = Release.objects.get(version="2.0.0")
    assert (after.notes, after.sha256, bytes(after.exchange)) == (
        before.notes,
        before.sha256,
        bytes(before.exchange),
    )


@pytest.mark.parametrize(
    ("export_format", "start"),
    [("tfds", '{\n  "initial_annots"'), ("jsonl", '{"file_name"'), ("csv", "file_name,")],
)
def test_exports_are_streamed_in_each_format(client, ada, two_releases, export_format, start):
    client.force_login(ada)
    response = client.get(f"/api/releases/2.0.0/export/?format={export_format}")
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content).decode()
    assert body.startswith(start)
    assert response["Content-Disposition"].endswith(
        f'2.0.0.{"json" if export_format == "tfds" else export_format}"'
    )
    if export_format == "tfds":
        import hashlib

        assert (
            hashlib.sha256(body.encode()).hexdigest() == Release.objects.get(version="2.0.0").sha256
        )


def test_an_unknown_export_format_is_a_400_naming_the_formats(client, ada, two_releases):
    client.force_login(ada)
    response = client.get("/api/releases/2.0.0/export/?format=xml")
    assert response.status_code == 400
    assert "tfds, jsonl, csv" in response.json()["detail"]


def test_the_diff_api_lists_moved_labels_and_flags(client, ada, two_releases):
    client.force_login(ada)
    body = client.get("/api/releases/2.0.0/diff/3.0.0/").json()
    assert body["labels"] == {
        "ILSVRC2012_val_00000001.JPEG": [{"label": 34, "before": "wrong", "after": "unclear"}]
    }
    assert body["problematic"]["removed"] == ["ILSVRC2012_val_00000064.JPEG"]
    assert body["per_class"] == {"34": 1}


def review(review_set, expert, verdicts):
    current = claim_next(review_set=review_set, expert=expert)
    save_verdicts(review=current, expert=expert, verdicts=verdicts)
    return submit_review(review=current, expert=expert)


def test_a_lead_cuts_a_release_with_an_imagenet_m_pick(client, lead, experts, review_set, images):
    review(review_set, experts[0], {65: "correct", 58: "wrong", 62: "wrong"})
    client.force_login(lead)
    response = client.post(
        "/api/releases/",
        {"version": "4.0.0", "notes": "first cut", "imagenet_m": [images[0].file_name]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["counts"] == {"images": 1, "problematic": 0, "imagenet_m": 1}
    assert response.json()["created_by"] == "lena"
    exported = json.loads(bytes(Release.objects.get(version="4.0.0").exchange))
    assert exported["imagenet_m"] == [images[0].file_name]


def test_cutting_is_refused_for_experts_existing_versions_and_unlabelled_imagenet_m(
    client, lead, experts, review_set, images
):
    review(review_set, experts[0], {65: "correct", 58: "wrong", 62: "wrong"})
    client.force_login(experts[1])
    response = client.post("/api/releases/", {"version": "4.0.0"}, content_type="application/json")
    assert response.status_code == 403 and "leads" in response.json()["detail"]

    client.force_login(lead)
    response = client.post(
        "/api/releases/",
        {"version": "4.0.0", "imagenet_m": [images[2].file_name]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert images[2].file_name in response.json()["detail"]
    response = client.post("/api/releases/", {"version": "4.0.0"}, content_type="application/json")
    assert response.status_code == 400 and "imagenet_m split would be empty" in str(response.json())
    assert not Release.objects.exists()

    picked = {"version": "4.0.0", "imagenet_m": [images[0].file_name]}
    assert client.post("/api/releases/", picked, content_type="application/json").status_code == 201
    response = client.post("/api/releases/", picked, content_type="application/json")
    assert response.status_code == 400 and "exists already" in response.json()["detail"]


def test_cutting_with_nothing_reviewed_is_a_400(client, lead):
    client.force_login(lead)
    response = client.post("/api/releases/", {"version": "1.0.0"}, content_type="application/json")
    assert response.status_code == 400 and "Nothing has been reviewed" in response.json()["detail"]


def test_the_diff_page_shows_class_names_before_and_after(client, ada, two_releases):
    client.force_login(ada)
    response = client.get(reverse("release:compare"), {"before": "2.0.0", "after": "3.0.0"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Release 2.0.0 → 3.0.0" in page
    assert "ILSVRC2012_val_00000001.JPEG" in page and "(34)" in page
    assert "Problematic, removed (1)" in page and "ILSVRC2012_val_00000064.JPEG" in page
    assert "Changed labels per class" in page


def test_releases_page_offers_compare_to_all_and_cut_to_leads(client, ada, lead, two_releases):
    client.force_login(ada)
    page = client.get(reverse("release:list")).content.decode()
    assert reverse("release:compare") in page and reverse("release:cut") not in page
    assert client.post(reverse("release:cut"), {"version": "5.0.0"}).status_code == 403
    client.force_login(lead)
    page = client.get(reverse("release:list")).content.decode()
    assert reverse("release:cut") in page


def test_the_cut_form_shows_a_clear_error_and_keeps_the_input(client, lead, two_releases):
    client.force_login(lead)
    response = client.post(reverse("release:cut"), {"version": "2.0.0", "notes": "again"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "exists already" in page and ">again</textarea>" in page


def test_the_cut_form_cuts_a_release_once_its_preview_is_confirmed(
    client, lead, experts, review_set, images
):
    review(review_set, experts[0], {65: "correct", 58: "wrong", 62: "wrong"})
    client.force_login(lead)
    form = {"version": "1.0.0", "notes": "cut", "imagenet_m": images[0].file_name}
    page = client.post(reverse("release:cut"), form).content.decode()
    assert "Cut release 1.0.0?" in page and not Release.objects.exists()
    fingerprint = page.split('name="fingerprint" value="', 1)[1].split('"', 1)[0]
    confirmed = {**form, "step": "confirm", "fingerprint": fingerprint, "acknowledged": "on"}
    response = client.post(reverse("release:cut"), confirmed)
    assert response.status_code == 302
    assert Release.objects.get(version="1.0.0").created_by == lead


# import_labels --as-verdicts


def test_seeding_the_consensus_makes_it_equal_to_the_file(lead):
    output = import_labels(str(EXCERPT), "--release", "3.0.0", "--as-verdicts")
    assert "Seeded the consensus with human_accuracy_fixed.json" in output
    assert not Release.objects.exists()

    seeded = consensus_label_file()
    from releases.exchange import read_label_file

    original = read_label_file(EXCERPT.read_bytes())
    assert seeded.images == original.images
    assert set(seeded.problematic) == set(original.problematic)
    assert all(
        original.problematic[n].reason in seeded.problematic[n].reason for n in original.problematic
    )
    review_set = ReviewSet.objects.get()
    assert (
        review_set.name == "imported: human_accuracy_fixed.json (3.0.0)" and review_set.overlap == 1
    )
    assert (
        Review.objects.filter(expert__username="imported:human_accuracy_fixed.json").count() == 21
    )


def test_a_seeded_consensus_can_be_cut_as_a_release_that_round_trips_the_labels(lead):
    import_labels(str(EXCERPT), "--release", "3.0.0", "--as-verdicts")
    from releases.services.releases import cut_release

    release = cut_release(version="3.1.0", created_by=lead)
    exported = json.loads(bytes(release.exchange))
    original = json.loads(EXCERPT.read_text())
    assert {
        name: {key: set(value) for key, value in record.items()}
        for name, record in exported["initial_annots"].items()
    } == {
        name: {key: set(value) for key, value in record.items() if value}
        for name, record in original["initial_annots"].items()
    }


def test_seeding_a_bad_file_or_twice_writes_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"initial_annots": {"ILSVRC2012_val_00000001.JPEG": {"correct": ["n01751748"],'
        ' "wrong": ["n01751748"]}}}'
    )
    with pytest.raises(CommandError, match="n01751748"):
        import_labels(str(bad), "--release", "1.0.0", "--as-verdicts")
    assert not ReviewSet.objects.exists() and not Verdict.objects.exists()

    import_labels(str(EXCERPT), "--release", "3.0.0", "--as-verdicts")
    count = Verdict.objects.count()
    with pytest.raises(CommandError, match="exists already"):
        import_labels(str(EXCERPT), "--release", "3.0.0", "--as-verdicts")
    assert Verdict.objects.count() == count and ReviewSet.objects.count() == 1


def test_seeding_dry_run_writes_nothing():
    assert "Checked human_accuracy_fixed.json" in import_labels(
        str(EXCERPT), "--release", "3.0.0", "--as-verdicts", "--dry-run"
    )
    assert not ReviewSet.objects.exists() and not Review.objects.exists()


def test_seeding_writes_a_done_slot_a_submitted_review_and_an_import_event_per_image():
    from annotator.catalogue import class_index_of_wnid
    from annotator.models import ValImage
    from reviews.models import ReviewEvent, Slot
    from tests.factories import make_candidates

    index_of = class_index_of_wnid()
    proposed, unproposed = index_of["n01751748"], index_of["n01665541"]  # both label image 1
    make_candidates(ValImage.objects.get(pk=1), {proposed: 3})
    import_labels(str(EXCERPT), "--release", "3.0.0", "--as-verdicts")

    system_user = get_user_model().objects.get(username="imported:human_accuracy_fixed.json")
    assert not system_user.is_active and not system_user.has_usable_password()
    review_set = ReviewSet.objects.get()
    assert not review_set.is_active and review_set.image_count == 21
    slots = list(Slot.objects.filter(review_set=review_set).order_by("position"))
    numbers = [slot.image_id for slot in slots]
    assert numbers == sorted(numbers) and len(numbers) == 21
    assert [slot.position for slot in slots] == list(range(21))
    assert {(slot.state, slot.expert_id, slot.number) for slot in slots} == {
        ("done", system_user.pk, 0)
    }
    reviews = list(Review.objects.filter(review_set=review_set).order_by("pk"))
    assert [review.image_id for review in reviews] == numbers
    assert all(
        review.status == "submitted"
        and review.expert_id == system_user.pk
        and review.started_at == review.submitted_at
        and review.version == 1
        for review in reviews
    )
    flagged = next(review for review in reviews if review.image_id == 64)  # flagged, no labels
    assert flagged.problem_reasons == ["original_label"]
    assert flagged.problem_note == "marked as problematic in the review server"
    assert flagged.comment == (
        "Imported from human_accuracy_fixed.json: flagged by vaishaal (vaishaal), marked "
        "2019-03-29T22:48:36.956685+00:00, reviewed 2019-03-29T22:49:32.290916+00:00."
    )
    assert not flagged.verdicts.exists()
    first = next(review for review in reviews if review.image_id == 1)
    assert (first.problem_reasons, first.comment) == (
        [],
        "Imported from human_accuracy_fixed.json.",
    )
    added = dict(first.verdicts.values_list("label_id", "added"))
    assert added[proposed] is False and added[unproposed] is True  # no model proposed it
    events = list(ReviewEvent.objects.filter(review__review_set=review_set).order_by("pk"))
    assert [event.review_id for event in events] == [review.pk for review in reviews]
    assert {(e.action, e.actor_id, e.before, str(e.after)) for e in events} == {
        ("import", system_user.pk, None, str({"source": "human_accuracy_fixed.json"}))
    }


def test_seeding_that_fails_while_writing_rows_writes_nothing(monkeypatch):
    from django.db import DatabaseError

    from releases.services import releases
    from reviews.models import ReviewEvent, Slot

    def fail_at_the_audit_trail(cursor, model, **rows):
        if model is ReviewEvent:  # slots, reviews and verdicts are written by then
            raise DatabaseError("disk full")
        insert_rows(cursor, model, **rows)

    insert_rows = releases.insert_rows
    monkeypatch.setattr(releases, "insert_rows", fail_at_the_audit_trail)
    with pytest.raises(DatabaseError, match="disk full"):
        import_labels(str(EXCERPT), "--release", "3.0.0", "--as-verdicts")
    assert not ReviewSet.objects.exists() and not Slot.objects.exists()
    assert not Review.objects.exists() and not Verdict.objects.exists()
    assert not ReviewEvent.objects.exists()
    assert not get_user_model().objects.filter(username__startswith="imported:").exists()
