"""Releases: import of the real exchange excerpt and the round trip, consensus cuts, exports,
diffs, immutability and the end of revisions after publication."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from releases.models import Release, ReleaseImage
from releases.services.releases import cut_release
from reviews.consensus import consensus_verdict
from reviews.services.reviewing import claim_next, save_verdicts, set_flags, submit_review

pytestmark = pytest.mark.django_db

EXCERPT = Path(__file__).resolve().parents[1] / "data" / "exchange" / "human_accuracy_fixed.json"


def import_labels(*args, **options):
    out = StringIO()
    call_command("import_labels", *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def export(version, export_format, tmp_path):
    path = tmp_path / f"{version}.{export_format}"
    call_command(
        "export_release", version, "--format", export_format, "-o", str(path), stderr=StringIO()
    )
    return path.read_text()


def as_sets(document):
    """The exchange JSON with label lists as sets, for comparing without order."""
    return {
        "initial_annots": {
            name: {key: set(labels) for key, labels in record.items()}
            for name, record in document["initial_annots"].items()
        },
        "problematic_images": {
            name: {
                ("server_username" if key == "server_user_name" else key): value
                for key, value in record.items()
            }
            for name, record in document.get("problematic_images", {}).items()
        },
        "imagenet_m": set(document.get("imagenet_m", [])),
    }


def test_real_excerpt_round_trips_through_import_and_tfds_export(tmp_path):
    output = import_labels(str(EXCERPT), "--release", "3.0.0", "--notes", "TFDS excerpt")
    assert (
        "Imported release 3.0.0 from human_accuracy_fixed.json: 11 images, 10 problematic, 3 in ImageNet-M"
        in output
    )

    exported = json.loads(export("3.0.0", "tfds", tmp_path))

    assert as_sets(exported) == as_sets(json.loads(EXCERPT.read_text()))
    release = Release.objects.get(version="3.0.0")
    assert len(release.sha256) == 64 and release.sha256 in output
    assert ReleaseImage.objects.filter(release=release).count() == 21  # 11 labelled, 10 problematic


def test_jsonl_and_csv_exports_carry_class_indices(tmp_path):
    import_labels(str(EXCERPT), "--release", "3.0.0")
    rows = [json.loads(line) for line in export("3.0.0", "jsonl", tmp_path).splitlines()]
    first = rows[0]
    assert first["file_name"] == "ILSVRC2012_val_00000001.JPEG"
    assert first["original_label"] == 65 and first["correct"] == [65]
    csv_lines = export("3.0.0", "csv", tmp_path).splitlines()
    assert csv_lines[0] == "file_name,original_label,correct,unclear,wrong,is_problematic"
    assert len(csv_lines) == 12


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        (
            '{"initial_annots": {"ILSVRC2012_val_00000001.JPEG": {"correct": ["n99999999"]}}}',
            "n99999999",
        ),
        (
            '{"initial_annots": {"ILSVRC2012_val_00099999.JPEG": {"correct": ["n01751748"]}}}',
            "ILSVRC2012_val_00099999.JPEG",
        ),
        (
            '{"initial_annots": {"ILSVRC2012_val_00000001.JPEG": {"correct": ["n01751748"], "wrong": ["n01751748"]}}}',
            "n01751748",
        ),
        (
            '{"initial_annots": {"ILSVRC2012_val_00000001.JPEG": {"correct": "n01751748"}}}',
            "correct",
        ),
    ],
)
def test_bad_label_files_are_refused_naming_the_problem_and_write_nothing(
    tmp_path, content, message
):
    path = tmp_path / "labels.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message) as error:
        import_labels(str(path), "--release", "1.0.0")
    assert str(error.value).startswith(str(path))
    assert not Release.objects.exists() and not ReleaseImage.objects.exists()


def test_an_existing_or_malformed_version_is_refused(tmp_path):
    import_labels(str(EXCERPT), "--release", "3.0.0")
    with pytest.raises(CommandError, match="exists already"):
        import_labels(str(EXCERPT), "--release", "3.0.0")
    with pytest.raises(CommandError, match="not a version"):
        import_labels(str(EXCERPT), "--release", "v3")
    with pytest.raises(CommandError, match="no such file"):
        import_labels(str(tmp_path / "missing.json"), "--release", "4.0.0")
    assert Release.objects.count() == 1


def test_dry_run_checks_the_file_and_writes_nothing():
    assert "Checked release 3.0.0" in import_labels(str(EXCERPT), "--release", "3.0.0", "--dry-run")
    assert not Release.objects.exists()


def test_skipped_keys_are_counted(tmp_path):
    path = tmp_path / "labels.json"
    path.write_text(
        json.dumps(
            {
                "initial_annots": {
                    "ILSVRC2012_val_00000001.JPEG": {"correct": ["n01751748"]},
                    "README": {},
                },
                "imagenet_m": ["ILSVRC2012_val_00000001.JPEG"],
            }
        )
    )
    assert "1 keys skipped" in import_labels(str(path), "--release", "1.0.0")


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ((v1, v2, v3), (v1 if v1 == v2 == v3 else "unclear"))
        for v1 in ("correct", "wrong", "unclear")
        for v2 in ("correct", "wrong", "unclear")
        for v3 in ("correct", "wrong", "unclear")
    ],
)
def test_consensus_of_three_experts_is_their_verdict_when_they_agree_else_unclear(
    verdicts, expected
):
    assert consensus_verdict(verdicts) == expected


def test_consensus_follows_the_lead_on_a_disagreement_and_ignores_missing_verdicts():
    assert consensus_verdict(["correct", "wrong"], adjudicated="wrong") == "wrong"
    assert consensus_verdict(["correct", ""]) == "correct"
    assert consensus_verdict([]) is None


def review(review_set, expert, verdicts, reasons=()):
    current = claim_next(review_set=review_set, expert=expert)
    save_verdicts(review=current, expert=expert, verdicts=verdicts)
    if reasons:
        set_flags(review=current, expert=expert, reasons=reasons, note="a drawing")
    return submit_review(review=current, expert=expert)


def test_a_release_cut_from_the_consensus_freezes_it_and_ends_revisions(
    review_set, experts, lead, images, tmp_path
):
    ada, ben, _ = experts
    first = review(review_set, ada, {65: "correct", 58: "wrong", 62: "wrong"}, reasons=["artwork"])
    review(review_set, ben, {65: "correct", 58: "correct", 62: "wrong"})

    release = cut_release(version="1.0.0", created_by=lead, notes="first cut")

    exported = json.loads(export("1.0.0", "tfds", tmp_path))
    record = exported["initial_annots"][images[0].file_name]
    assert record == {"correct": ["n01751748"], "unclear": ["n01737021"], "wrong": ["n01744401"]}
    problem = exported["problematic_images"][images[0].file_name]
    assert problem["reviewer"] == "ada" and "drawing" in problem["reason"]
    assert release.image_count == 1

    with pytest.raises(ValidationError, match="part of release 1.0.0"):
        save_verdicts(review=first, expert=ada, verdicts={58: "correct"})
    # later reviews do not change the frozen release
    review(review_set, ada, {65: "correct"})
    assert json.loads(export("1.0.0", "tfds", tmp_path)) == exported


def test_cutting_a_release_with_nothing_reviewed_is_refused(lead):
    with pytest.raises(ValidationError, match="Nothing has been reviewed"):
        cut_release(version="1.0.0", created_by=lead)
    assert not Release.objects.exists()


def test_diff_of_two_releases_lists_moved_labels_and_flags(tmp_path):
    import_labels(str(EXCERPT), "--release", "2.0.0")
    document = json.loads(EXCERPT.read_text())
    record = document["initial_annots"]["ILSVRC2012_val_00000001.JPEG"]
    record["unclear"] = [record["wrong"].pop(0)]  # n01665541 goes from wrong to unclear
    document["problematic_images"].pop("ILSVRC2012_val_00000064.JPEG")
    changed = tmp_path / "v3.json"
    changed.write_text(json.dumps(document))
    import_labels(str(changed), "--release", "3.0.0")

    out = StringIO()
    call_command("diff_releases", "2.0.0", "3.0.0", stdout=out)
    text = out.getvalue()
    assert "ILSVRC2012_val_00000001.JPEG  n01665541 (34): wrong -> unclear" in text
    assert "ILSVRC2012_val_00000064.JPEG  problematic, removed" in text
    assert text.rstrip().endswith(
        "1 labels changed on 1 images; problematic +0 -1; ImageNet-M +0 -0"
    )

    out = StringIO()
    call_command("diff_releases", "2.0.0", "3.0.0", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["per_class"] == {"34": 1}


def test_releases_cannot_be_changed_or_deleted_in_the_admin(client):
    from django.contrib.auth import get_user_model

    import_labels(str(EXCERPT), "--release", "3.0.0")
    release = Release.objects.get()
    client.force_login(get_user_model().objects.create_superuser("root", password="root-pass-2026"))
    change = reverse("admin:releases_release_change", args=[release.pk])
    assert client.post(change, {"version": "9.9.9", "notes": "changed"}).status_code == 403
    assert (
        client.post(
            reverse("admin:releases_release_delete", args=[release.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Release.objects.get().version == "3.0.0"


def test_panel_downloads_a_release_as_a_stream(client, experts):
    import_labels(str(EXCERPT), "--release", "3.0.0")
    client.force_login(experts[0])
    listing = client.get(reverse("release:list")).content.decode()
    assert "3.0.0" in listing
    response = client.get(reverse("release:download", args=["3.0.0", "csv"]))
    assert response.streaming
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="imagenet2012_multilabel-3.0.0.csv"'
    )
    assert b"".join(response.streaming_content).decode().startswith("file_name,original_label")


def test_revising_a_published_review_through_the_api_gets_a_400_and_changes_nothing(
    client, review_set, experts, lead
):
    ada = experts[0]
    submitted = review(review_set, ada, {65: "correct", 58: "wrong", 62: "wrong"})
    cut_release(version="1.0.0", created_by=lead)
    client.force_login(ada)
    response = client.put(
        f"/api/reviews/{submitted.pk}/verdicts/",
        {"verdicts": {"58": "correct"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "part of release 1.0.0" in response.json()["detail"]
    assert submitted.verdicts.get(label_id=58).value == "wrong"


def test_admin_offers_every_export_of_a_release(client):
    from django.contrib.auth import get_user_model

    import_labels(str(EXCERPT), "--release", "3.0.0")
    client.force_login(get_user_model().objects.create_superuser("root", password="root-pass-2026"))
    page = client.get(reverse("admin:releases_release_change", args=[Release.objects.get().pk]))
    for export_format in ("tfds", "jsonl", "csv"):
        assert reverse("release:download", args=["3.0.0", export_format]) in page.content.decode()
