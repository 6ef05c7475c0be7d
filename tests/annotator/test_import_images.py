"""``manage.py import_images``: pictures from a tar stream or a folder, all or nothing."""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from annotator.models import ValImage
from annotator.services import pictures
from demo.data import DEMO_PICTURES

pytestmark = pytest.mark.django_db

SAMPLES = DEMO_PICTURES  # the repo's copies of the shared sample pictures
ROW_FIELDS = (
    "number",
    "picture",
    "thumbnail",
    "display",
    "width",
    "height",
    "color_mode",
    "picture_sha256",
    "is_stand_in",
    "picture_imported_at",
)


def name(number: int) -> str:
    return f"ILSVRC2012_val_{number:08d}.JPEG"


def make_jpeg(size=(120, 90), *, mode="RGB", seed=0, orientation=None) -> bytes:
    """A small photo-like JPEG (noise, so that it is not trivially compressible)."""
    image = Image.effect_noise(size, 40 + seed).convert(mode if mode != "CMYK" else "RGB")
    if mode == "CMYK":
        image = image.convert("CMYK")
    options = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, **options)
    return buffer.getvalue()


def write_folder(folder: Path, members: dict[str, bytes]) -> Path:
    for member, data in members.items():
        path = folder / member
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def write_tar(path: Path, members: dict[str, bytes], *, mode: str = "w") -> Path:
    with tarfile.open(path, mode) as tar:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def import_images(*args) -> str:
    stdout = StringIO()
    call_command("import_images", *map(str, args), stdout=stdout, stderr=StringIO())
    return stdout.getvalue().strip()


def pictured_rows() -> list[tuple]:
    return list(ValImage.objects.with_picture().values_list(*ROW_FIELDS))


def stored_files(media_root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(media_root).as_posix(): path.read_bytes()
        for path in media_root.rglob("*")
        if path.is_file()
    }


def stored_picture(field) -> Image.Image:
    with field.open("rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


def refuse(*args, match: str) -> str:
    """Run an import that must fail with a one-line error; returns the message."""
    with pytest.raises(CommandError, match=match) as failure:
        import_images(*args)
    message = str(failure.value)
    assert "\n" not in message
    return message


@pytest.fixture
def three_pictures() -> dict[str, bytes]:
    return {name(number): make_jpeg(seed=number) for number in (1, 2, 3)}


def test_folder_import_attaches_pictures_with_their_metadata_and_files(tmp_path, media_root):
    large = make_jpeg((1500, 1000), seed=9)
    members = {name(7): make_jpeg((120, 90)), f"part/{name(8)}": large}
    source = write_folder(tmp_path / "val", members)

    output = import_images(source)

    assert (
        output
        == "Imported 2 pictures (0 replaced, 0 unchanged, 0 skipped outside the subset) from val"
    )
    small = ValImage.objects.get(number=7)
    assert small.picture.name == f"pictures/{name(7)}"
    assert small.picture.read() == members[name(7)]  # the original, byte for byte
    assert (small.width, small.height, small.color_mode) == (120, 90, "RGB")
    assert small.picture_sha256 == hashlib.sha256(members[name(7)]).hexdigest()
    assert small.is_stand_in is False
    assert small.picture_imported_at is not None
    assert small.display.name == ""
    thumbnail = stored_picture(small.thumbnail)
    assert (thumbnail.format, thumbnail.mode, thumbnail.size) == ("JPEG", "RGB", (120, 90))
    big = ValImage.objects.get(number=8)
    assert (big.width, big.height) == (1500, 1000)
    assert stored_picture(big.thumbnail).size == (256, 171)
    assert stored_picture(big.display).size == (1024, 683)
    assert sorted(stored_files(media_root)) == [
        f"display/{name(8)}",
        f"pictures/{name(7)}",
        f"pictures/{name(8)}",
        f"thumbnails/{name(7)}",
        f"thumbnails/{name(8)}",
    ]


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:xz"])
def test_tar_import_reads_the_archive_as_a_stream(tmp_path, mode, three_pictures):
    source = write_tar(tmp_path / "val.tar", three_pictures, mode=mode)

    output = import_images(source)

    assert output.startswith("Imported 3 pictures (0 replaced, 0 unchanged")
    for number in (1, 2, 3):
        image = ValImage.objects.get(number=number)
        assert image.picture.read() == three_pictures[name(number)]
        assert (image.width, image.height, image.color_mode) == (120, 90, "RGB")


def test_tar_import_skips_directory_entries_and_dotfiles_and_reads_sub_folders(tmp_path):
    source = tmp_path / "val.tar"
    with tarfile.open(source, "w") as tar:
        folder = tarfile.TarInfo("val")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        for member, data in {
            f"val/{name(5)}": make_jpeg(),
            f"val/._{name(5)}": b"macOS resource fork",
            "val/.DS_Store": b"finder",
        }.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

    assert import_images(source).startswith("Imported 1 picture (")
    assert ValImage.objects.get(number=5).has_picture


def test_folder_import_skips_dotfiles_and_dot_folders(tmp_path):
    source = write_folder(
        tmp_path / "val",
        {name(4): make_jpeg(), ".DS_Store": b"finder", f".cache/{name(6)}": b"not looked at"},
    )

    assert import_images(source).startswith("Imported 1 picture (")
    assert [row[0] for row in pictured_rows()] == [4]


def test_subset_imports_only_its_images_and_counts_the_others_skipped(tmp_path, three_pictures):
    source = write_tar(tmp_path / "val.tar", three_pictures)
    subset = tmp_path / "subset.json"
    subset.write_text(json.dumps({"image_filenames": [[name(2), "n01751748"]]}))

    output = import_images(source, "--subset", subset)

    assert (
        output
        == "Imported 1 picture (0 replaced, 0 unchanged, 2 skipped outside the subset) from val.tar"
    )
    assert [row[0] for row in pictured_rows()] == [2]


def test_shipped_annotated_subset_file_is_accepted(tmp_path):
    # Image 1 is among the 20,000 annotated images; image 2 is not.
    source = write_tar(tmp_path / "val.tar", {name(1): make_jpeg(), name(2): make_jpeg(seed=2)})

    output = import_images(source, "--subset", "annotator/data/imagenet-annotatedval20k-0.json")

    assert "1 skipped outside the subset" in output
    assert [row[0] for row in pictured_rows()] == [1]


def test_rerun_counts_unchanged_pictures_and_rewrites_nothing(tmp_path, media_root, three_pictures):
    source = write_tar(tmp_path / "val.tar", three_pictures)
    import_images(source)
    rows = pictured_rows()
    written = {path: path.stat().st_mtime_ns for path in media_root.rglob("*") if path.is_file()}

    output = import_images(source)

    assert (
        output
        == "Imported 0 pictures (0 replaced, 3 unchanged, 0 skipped outside the subset) from val.tar"
    )
    assert pictured_rows() == rows
    assert {path: path.stat().st_mtime_ns for path in written} == written


def test_changed_picture_replaces_the_old_one_and_its_unneeded_display_copy(
    tmp_path, media_root, django_capture_on_commit_callbacks
):
    import_images(write_folder(tmp_path / "first", {name(9): make_jpeg((1200, 900))}))
    assert ValImage.objects.get(number=9).display.name == f"display/{name(9)}"
    smaller = make_jpeg((300, 200), seed=5)

    # The old display copy goes once the import commits.
    with django_capture_on_commit_callbacks(execute=True):
        output = import_images(write_folder(tmp_path / "second", {name(9): smaller}))

    assert output.startswith("Imported 1 picture (1 replaced, 0 unchanged")
    image = ValImage.objects.get(number=9)
    assert image.picture.read() == smaller
    assert (image.width, image.height, image.display.name) == (300, 200, "")
    assert image.picture_sha256 == hashlib.sha256(smaller).hexdigest()
    assert sorted(stored_files(media_root)) == [f"pictures/{name(9)}", f"thumbnails/{name(9)}"]


def test_stand_in_marks_the_pictures_and_a_rerun_without_it_unmarks_them(tmp_path, three_pictures):
    source = write_tar(tmp_path / "demo.tar", three_pictures)

    import_images(source, "--stand-in")
    assert ValImage.objects.filter(is_stand_in=True).count() == 3

    assert "3 unchanged" in import_images(source)
    assert ValImage.objects.filter(is_stand_in=True).count() == 0


def test_grayscale_imagenet_pictures_keep_mode_l_without_a_display_copy(tmp_path):
    source = tmp_path / "val"
    source.mkdir()
    shutil.copy(SAMPLES / "n04356056_sunglasses.JPEG", source / name(11))
    shutil.copy(SAMPLES / "n04532670_viaduct.JPEG", source / name(12))

    import_images(source)

    sunglasses, viaduct = ValImage.objects.filter(number__in=[11, 12])
    assert (sunglasses.color_mode, sunglasses.width, sunglasses.height) == ("L", 400, 300)
    assert (viaduct.color_mode, viaduct.width, viaduct.height) == ("L", 400, 267)
    assert sunglasses.display.name == viaduct.display.name == ""
    assert stored_picture(sunglasses.thumbnail).mode == "RGB"


def test_cmyk_picture_keeps_its_mode_and_gets_an_rgb_display_copy(tmp_path):
    source = write_folder(tmp_path / "val", {name(13): make_jpeg((200, 150), mode="CMYK")})

    import_images(source)

    image = ValImage.objects.get(number=13)
    assert (image.color_mode, image.width, image.height) == ("CMYK", 200, 150)
    assert stored_picture(image.display).mode == "RGB"
    assert stored_picture(image.thumbnail).mode == "RGB"


def test_exif_orientation_6_swaps_width_and_height_and_makes_an_upright_display_copy(tmp_path):
    source = write_folder(tmp_path / "val", {name(14): make_jpeg((160, 90), orientation=6)})

    import_images(source)

    image = ValImage.objects.get(number=14)
    assert (image.width, image.height) == (90, 160)
    assert stored_picture(image.display).size == (90, 160)
    assert stored_picture(image.thumbnail).size == (90, 160)


def test_pictures_go_through_any_storage_backend(tmp_path, settings, three_pictures):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    source = write_tar(tmp_path / "val.tar", {**three_pictures, name(4): make_jpeg((1100, 900))})

    import_images(source)

    image = ValImage.objects.get(number=1)
    assert image.picture.read() == three_pictures[name(1)]
    assert stored_picture(image.thumbnail).size == (120, 90)
    assert stored_picture(ValImage.objects.get(number=4).display).size == (1024, 838)


def test_worker_processes_import_many_pictures_in_batches(tmp_path):
    members = {name(number): make_jpeg((64, 48), seed=number) for number in range(100, 140)}
    source = write_tar(tmp_path / "val.tar", members)

    output = import_images(source, "--processes", 2)

    assert output.startswith("Imported 40 pictures (")
    assert ValImage.objects.with_picture().count() == 40
    assert ValImage.objects.get(number=139).picture.read() == members[name(139)]


def test_dry_run_decodes_everything_but_writes_no_file_and_no_row(tmp_path, media_root):
    source = write_tar(
        tmp_path / "val.tar", {name(1): make_jpeg(), name(2): make_jpeg((1500, 900))}
    )

    output = import_images(source, "--dry-run")

    assert output == (
        "Would import 2 pictures (0 replaced, 0 unchanged, 0 skipped outside the subset) "
        "from val.tar; dry run, nothing written"
    )
    assert pictured_rows() == []
    assert stored_files(media_root) == {}


def test_dry_run_still_refuses_a_bad_picture(tmp_path):
    source = write_tar(tmp_path / "val.tar", {name(1): make_jpeg(), name(2): b"not a picture"})

    refuse(source, "--dry-run", match=f"{name(2)}: is not a JPEG or PNG image")


# Bad input: one line naming the member, a non-zero exit (CommandError), nothing changed.


@pytest.fixture
def earlier_import(tmp_path, media_root):
    """A picture imported before the bad run, which must come out of it untouched."""
    import_images(write_folder(tmp_path / "earlier", {name(50_000): make_jpeg(seed=50)}))
    before = (pictured_rows(), stored_files(media_root))
    yield before
    assert (pictured_rows(), stored_files(media_root)) == before


def good_and(member: str, data: bytes) -> dict[str, bytes]:
    """A good picture first, so that a bad member later must undo its work too."""
    return {name(1): make_jpeg(), name(50_000): make_jpeg(seed=7), member: data}


def test_missing_source_is_refused(tmp_path, earlier_import):
    refuse(tmp_path / "nowhere.tar", match=r"nowhere\.tar: no such file or directory")


def test_bad_input_exits_non_zero_with_one_line_on_stderr(tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'untouched.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    finished = subprocess.run(
        [sys.executable, "manage.py", "import_images", str(tmp_path / "nowhere.tar")],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert finished.returncode == 1
    assert (
        finished.stderr == f"CommandError: {tmp_path / 'nowhere.tar'}: no such file or directory\n"
    )


def test_file_that_is_no_archive_is_refused(tmp_path, earlier_import):
    source = tmp_path / "val.tar"
    source.write_text("these are not the pictures you are looking for\n" * 20)

    refuse(source, match=r"val\.tar: not a readable tar archive")


def test_archive_truncated_inside_a_member_is_refused_naming_it(tmp_path, earlier_import):
    source = write_tar(tmp_path / "val.tar", {name(1): make_jpeg(), name(2): make_jpeg((400, 300))})
    data = source.read_bytes()
    source.write_bytes(data[: len(data) - 12_000])

    refuse(source, match=rf"val\.tar: {name(2)}: the archive is truncated")


def test_archive_truncated_between_members_is_refused(tmp_path, earlier_import):
    source = write_tar(tmp_path / "val.tar", {name(1): make_jpeg(), name(2): make_jpeg()})
    with tarfile.open(source) as tar:
        second = tar.getmember(name(2))
    source.write_bytes(source.read_bytes()[: second.offset])

    refuse(source, match=rf"truncated or damaged after {name(1)}")


def test_truncated_compressed_archive_is_refused(tmp_path, earlier_import, three_pictures):
    source = write_tar(tmp_path / "val.tar.gz", three_pictures, mode="w:gz")
    data = source.read_bytes()
    source.write_bytes(data[: len(data) // 2])

    refuse(source, match=r"val\.tar\.gz: .*truncated")


@pytest.mark.parametrize("member", [f"../{name(4)}", f"/etc/{name(4)}", f"val/../../{name(4)}"])
def test_member_whose_path_escapes_the_archive_is_refused(tmp_path, earlier_import, member):
    source = write_tar(tmp_path / "val.tar", good_and(member, make_jpeg()))

    refuse(source, match=rf"val\.tar: {member}: the path escapes the archive")


def test_link_member_is_refused(tmp_path, earlier_import):
    source = tmp_path / "val.tar"
    with tarfile.open(source, "w") as tar:
        link = tarfile.TarInfo(name(4))
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)

    refuse(source, match=rf"{name(4)}: is a symbolic link, not a regular file")


def test_member_that_is_no_picture_is_refused(tmp_path, earlier_import):
    source = write_tar(tmp_path / "val.tar", good_and(name(4), b"<html>not found</html>"))

    refuse(source, match=rf"val\.tar: {name(4)}: is not a JPEG or PNG image")


def test_empty_member_is_refused(tmp_path, earlier_import):
    source = write_tar(tmp_path / "val.tar", good_and(name(4), b""))

    refuse(source, match=rf"val\.tar: {name(4)}: is empty \(0 bytes\)")


def test_truncated_picture_is_refused(tmp_path, earlier_import):
    data = make_jpeg((300, 200))
    source = write_tar(tmp_path / "val.tar", good_and(name(4), data[: len(data) // 2]))

    refuse(source, match=rf"val\.tar: {name(4)}: cannot be decoded: image file is truncated")


def test_decompression_bomb_is_refused(tmp_path, earlier_import, settings):
    settings.ANNOTATOR_MAX_IMAGE_PIXELS = 200 * 150
    source = write_tar(tmp_path / "val.tar", good_and(name(4), make_jpeg((400, 300))))

    refuse(
        source, match=rf"{name(4)}: is refused as a decompression bomb: 400x300 is 120,000 pixels"
    )


@pytest.mark.parametrize(
    "member", ["notes.txt", "ILSVRC2012_val_00050001.JPEG", "ILSVRC2012_val_1.JPEG", "x.jpg"]
)
def test_unknown_file_name_is_refused(tmp_path, earlier_import, member):
    source = write_folder(tmp_path / "val", good_and(member, make_jpeg()))

    refuse(source, match=rf"val: {member}: not a validation file name")


def test_same_picture_twice_is_refused(tmp_path, earlier_import):
    source = write_folder(tmp_path / "val", {name(1): make_jpeg(), f"again/{name(1)}": make_jpeg()})

    refuse(source, match=rf"again/{name(1)}: the same picture as {name(1)}")


def test_bad_picture_in_a_late_batch_of_the_worker_pool_undoes_everything(tmp_path, earlier_import):
    members = {name(number): make_jpeg((64, 48), seed=number) for number in range(200, 240)}
    members[name(236)] = b"broken"
    source = write_tar(tmp_path / "val.tar", members)

    refuse(source, "--processes", 2, match=rf"{name(236)}: is not a JPEG or PNG image")
    assert not any(Path(tmp_path / "media").glob(".staging*"))


def test_failed_replacement_leaves_the_earlier_picture_in_place(tmp_path, earlier_import):
    source = write_folder(tmp_path / "val", {name(50_000): make_jpeg(seed=99), name(50): b"broken"})

    refuse(source, match=rf"{name(50)}: is not a JPEG or PNG image")


def test_failure_while_publishing_removes_the_new_files_and_keeps_the_rows(
    tmp_path, earlier_import, monkeypatch
):
    def fail(rows):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(pictures, "_update_rows", fail)
    source = write_folder(tmp_path / "val", {name(1): make_jpeg(), name(2): make_jpeg((1100, 900))})

    with pytest.raises(RuntimeError, match="went away"):
        import_images(source)


def test_picture_of_an_image_missing_from_the_catalogue_is_refused(tmp_path, earlier_import):
    ValImage.objects.filter(number=3).delete()
    source = write_folder(tmp_path / "val", {name(1): make_jpeg(), name(3): make_jpeg()})

    refuse(source, match=rf"{name(3)}: not in the catalogue")


def test_missing_subset_file_is_refused(tmp_path, earlier_import, three_pictures):
    source = write_tar(tmp_path / "val.tar", three_pictures)

    refuse(
        source, "--subset", tmp_path / "nowhere.json", match=r"subset .*nowhere\.json: no such file"
    )


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "not valid JSON"),
        ('{"images": []}', "expected"),
        ('{"image_filenames": [["a", "b", "c"]]}', "expected"),
        (
            '{"image_filenames": [["cat.jpg", "n01751748"]]}',
            "'cat.jpg' is not a validation file name",
        ),
    ],
)
def test_malformed_subset_file_is_refused(tmp_path, earlier_import, three_pictures, content, match):
    source = write_tar(tmp_path / "val.tar", three_pictures)
    subset = tmp_path / "subset.json"
    subset.write_text(content)

    refuse(source, "--subset", subset, match=rf"val\.tar: subset .*subset\.json: {match}")


def test_processes_must_be_a_positive_number(tmp_path, three_pictures):
    source = write_tar(tmp_path / "val.tar", three_pictures)

    with pytest.raises(CommandError, match="0 is not a positive number"):
        import_images(source, "--processes", 0)
    assert pictured_rows() == []


def test_progress_bar_is_drawn_on_stderr_unless_quiet(tmp_path, three_pictures):
    source = write_folder(tmp_path / "val", three_pictures)
    stderr = StringIO()

    call_command("import_images", str(source), "--dry-run", stdout=StringIO(), stderr=stderr)
    assert "3/3" in stderr.getvalue()

    quiet = StringIO()
    call_command("import_images", str(source), verbosity=0, stdout=StringIO(), stderr=quiet)
    assert quiet.getvalue() == ""


def test_import_leaves_no_staging_folder_behind(tmp_path, media_root, three_pictures):
    import_images(write_tar(tmp_path / "val.tar", three_pictures))

    assert sorted(os.listdir(media_root)) == ["pictures", "thumbnails"]
