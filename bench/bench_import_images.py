"""Benchmark of ``manage.py import_images`` against the floor of a plain Pillow loop.

Builds a tar of typical validation pictures (500x375 JPEGs, quality 90, cut from the sample
pictures and named as real validation files), then times in the same run:
  (a) the floor: the same tar read as a stream, the same number of worker processes making the
      same thumbnails (draft mode), no database and no storage;
  (b) the real import end to end, on a fresh SQLite database and media folder;
  (c) a re-run of the import, where every picture is unchanged.
Targets (from the issue): at least 300 pictures/s, and at least 70% of the floor.

    .venv/bin/python bench/bench_import_images.py [--pictures 3000] [--processes N]
"""

import argparse
import io
import multiprocessing
import os
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
# The full-size shared sample pictures beside the checkout, else the repo's downscaled copies.
SAMPLES = Path(os.environ.get("SAMPLE_IMAGES", REPO.parent / "shared" / "data" / "sample_images"))
if not SAMPLES.is_dir():
    SAMPLES = REPO / "annotator" / "data" / "demo_pictures"


def build_tar(path: Path, count: int) -> int:
    """A tar of ``count`` distinct 500x375 JPEGs; returns its size in bytes."""
    samples = [Image.open(sample).convert("RGB") for sample in sorted(SAMPLES.glob("*.JPEG"))]
    with tarfile.open(path, "w") as tar:
        for number in range(1, count + 1):
            sample = samples[number % len(samples)]
            variant = number // len(samples)
            width, height = sample.size
            # 4:3 crops that wander a little, so that no two pictures are the same bytes.
            crop_width = min(width, height * 4 // 3) * (100 - variant % 10) // 100
            crop_height = crop_width * 3 // 4
            left = (width - crop_width) * (variant % 7) // 6
            top = (height - crop_height) * (variant % 5) // 4
            picture = sample.crop((left, top, left + crop_width, top + crop_height))
            picture = picture.resize((500, 375), Image.Resampling.BILINEAR)
            if variant % 2:
                picture = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=90)
            info = tarfile.TarInfo(f"ILSVRC2012_val_{number:08d}.JPEG")
            info.size = buffer.tell()
            buffer.seek(0)
            tar.addfile(info, buffer)
    return path.stat().st_size


def floor_thumbnail(data: bytes) -> int:
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (256, 256))
    image = image.convert("RGB")
    image.thumbnail((256, 256))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.tell()


def tar_members(path: Path):
    with tarfile.open(path, mode="r|*") as tar:
        for info in tar:
            if info.isfile():
                yield tar.extractfile(info).read()


def run_floor(path: Path, processes: int) -> int:
    context = multiprocessing.get_context("forkserver")
    with context.Pool(processes) as pool:
        return sum(1 for _ in pool.imap(floor_thumbnail, tar_members(path), chunksize=16))


def timed(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def file_creation_ms(folder: Path, count: int = 300) -> float:
    """CPU milliseconds to create one 60 kB file in ``folder``: the import creates two a picture."""
    folder.mkdir(parents=True)
    data = os.urandom(60_000)
    start = time.process_time()
    for index in range(count):
        (folder / f"{index}.JPEG").write_bytes(data)
    return (time.process_time() - start) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--rounds", type=int, default=3, help="Floor and import alternate; the best of each counts."
    )
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-import-images-"))
    try:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
        os.environ["MEDIA_ROOT"] = str(workdir / "media")
        os.environ.setdefault("DJANGO_SECRET_KEY", "only-for-the-benchmark")
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import override_settings

        from annotator.models import ValImage

        call_command("migrate", verbosity=0)
        tar = workdir / "ILSVRC2012_img_val_bench.tar"
        build_seconds, size = timed(build_tar, tar, options.pictures)
        print(
            f"tar of {options.pictures} pictures (500x375, quality 90): {size / 1e6:.0f} MB, "
            f"built in {build_seconds:.1f} s; {options.processes} processes, "
            f"{os.cpu_count()} CPUs, best of {options.rounds} rounds"
        )
        print(
            f"creating a 60 kB file on this disk costs {file_creation_ms(workdir / 'probe'):.2f} ms "
            "of CPU (the import creates two a picture, the floor none)"
        )

        def run_import() -> str:
            output = io.StringIO()
            call_command(
                "import_images",
                str(tar),
                "--processes",
                str(options.processes),
                verbosity=0,
                stdout=output,
                stderr=io.StringIO(),
            )
            return output.getvalue().strip()

        floor_seconds, import_seconds = [], []
        for round_ in range(options.rounds):
            seconds, count = timed(run_floor, tar, options.processes)
            assert count == options.pictures
            floor_seconds.append(seconds)
            # Each round imports into an empty catalogue and a media folder of its own.
            ValImage.objects.update(
                picture="",
                thumbnail="",
                display="",
                width=None,
                height=None,
                color_mode="",
                picture_sha256="",
                picture_imported_at=None,
            )
            with override_settings(MEDIA_ROOT=workdir / f"media-{round_}"):
                seconds, summary = timed(run_import)
                assert ValImage.objects.with_picture().count() == options.pictures, summary
                import_seconds.append(seconds)
                if round_ == options.rounds - 1:
                    rerun_seconds, rerun_summary = timed(run_import)
                    assert f"{options.pictures} unchanged" in rerun_summary, rerun_summary

        def rate(seconds: float) -> str:
            return f"{options.pictures / seconds:7.0f} pictures/s ({seconds:.2f} s)"

        ratio = min(floor_seconds) / min(import_seconds)
        import_rate = options.pictures / min(import_seconds)
        print(f"(a) floor, Pillow thumbnails only: {rate(min(floor_seconds))}")
        print(f"(b) import_images end to end:      {rate(min(import_seconds))}")
        print(f"    {summary}")
        print(f"(c) re-run, all unchanged:         {rate(rerun_seconds)}")
        print(
            "    every round, floor / import: "
            + ", ".join(
                f"{options.pictures / floor:.0f} / {options.pictures / real:.0f}"
                for floor, real in zip(floor_seconds, import_seconds, strict=True)
            )
        )
        print(
            f"import / floor = {ratio:.0%} (target >= 70%); import rate "
            f"{'meets' if import_rate >= 300 else 'misses'} the target of 300 pictures/s"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
