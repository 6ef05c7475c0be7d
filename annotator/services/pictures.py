"""Attach pictures to the validation images, from ``ILSVRC2012_img_val.tar`` or a folder.

Sources
- A tar archive (plain, .gz, .bz2 or .xz) is read as one stream, never extracted: the 6.4 GB
  archive goes through memory a few batches at a time.
- A folder is walked recursively, in name order.

Members
- A member is known by its base name, ``ILSVRC2012_val_00000001.JPEG`` to
  ``ILSVRC2012_val_00050000.JPEG``, in any sub-folder.
- Skipped without a word: tar directory entries, and dotfiles and dot-folders (``.DS_Store``,
  the ``._*`` resource forks that macOS puts into tars, ``.git``), in tars as in folders.
- Skipped and counted: members outside the ``subset`` (an ImageNetV2 dataset JSON).
- Bad input, refused with a one-line ``PictureImportError`` naming the member: a path that
  escapes the archive (``../x``, ``/etc/x``); a link, device or other non-regular member; any
  other file name; a number met twice; a member larger than any picture within the pixel limit
  could be (4 bytes a pixel); an empty, truncated or undecodable picture, or one over
  ``settings.ANNOTATOR_MAX_IMAGE_PIXELS`` (a decompression bomb); an archive that is not one or
  is truncated (a tar must end with its end-of-archive marker).

Writes
- The original bytes are kept untouched as ``pictures/<file name>``, beside a thumbnail
  (``thumbnails/<file name>``) and, when a browser needs one, a display copy
  (``display/<file name>``); see ``annotator.imaging``.
- A picture whose sha256 is the one already recorded is counted unchanged and not rewritten (only
  its stand-in flag follows the run); a different one replaces the old, and an old display copy
  that is no longer needed is deleted once the transaction commits.
- All or nothing: every picture is checked and decoded, and its files staged in a temporary
  folder (beside the media files, so that they are renamed into place rather than copied; for a
  storage without local paths, in the system's temporary folder, then saved through the
  storage), before anything is published; the files are then moved into storage and the rows
  updated in one transaction. Storage is not transactional: if publishing fails half way, files
  that were new are deleted again, but files that replaced older ones stay replaced.
- Speed: worker processes (``forkserver``: forking a Django process that may hold threads and
  connections is unsafe) get batches of original bytes, decode them and write the thumbnails
  and display copies into the staging folder, sending back only sizes and modes; meanwhile the
  main process reads the stream, hashes and stages the originals. At most two batches a worker
  are in flight, so memory stays bounded whatever the archive's size. An import that fits in
  one batch is decoded in the main process, without starting a pool.
"""

import hashlib
import json
import multiprocessing
import os
import shutil
import tarfile
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, transaction
from django.utils import timezone

from annotator import queries
from annotator.catalogue import file_name_of, image_number, read_dataset_index
from annotator.imaging import PictureError, PictureFacts, render_pictures
from annotator.models import ValImage
from common.progress import ProgressFactory, no_progress

# A task for a worker: enough pictures to outweigh the cost of a round trip, few enough to keep
# the memory of the pipeline small (the window holds BATCH_SIZE x 2 x processes pictures).
BATCH_SIZE = 16
BATCH_BYTES = 8 << 20
UPDATE_BATCH_SIZE = 500
UPDATED_FIELDS = (
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
STAGED_FOLDERS = ("pictures", "thumbnails", "display")
# Anything the standard library raises on a damaged or truncated (compressed) stream.
ARCHIVE_ERRORS = (tarfile.TarError, EOFError, OSError, ValueError)


class PictureImportError(ValueError):
    """Bad input for a picture import; the message is one line naming the member at fault."""


@dataclass(frozen=True)
class PictureImportResult:
    """What an import did, or would do on a dry run."""

    source: Path
    imported: int
    replaced: int
    unchanged: int
    skipped: int
    dry_run: bool

    def __str__(self) -> str:
        pictures = "picture" if self.imported == 1 else "pictures"
        return (
            f"{self.imported} {pictures} ({self.replaced} replaced, {self.unchanged} unchanged, "
            f"{self.skipped} skipped outside the subset) from {self.source.name}"
        )


def import_pictures(
    *,
    source: Path,
    subset: Path | None = None,
    stand_in: bool = False,
    dry_run: bool = False,
    processes: int | None = None,
    progress: ProgressFactory = no_progress,
) -> PictureImportResult:
    """Attach the pictures of a tar archive or a folder to their validation images, all or nothing."""
    # Not atomic as a whole: decoding 50,000 pictures inside a transaction would hold the write
    # lock (SQLite) for minutes while the panel works; only the final publishing step is atomic.
    source = Path(source)
    if not source.exists():
        raise PictureImportError("no such file or directory")
    wanted = _read_subset(subset) if subset is not None else None
    max_pixels = settings.ANNOTATOR_MAX_IMAGE_PIXELS
    recorded = {
        number: _Recorded(sha256, is_stand_in, display)
        for number, sha256, is_stand_in, display in ValImage.objects.with_picture().values_list(
            "number", "picture_sha256", "is_stand_in", "display"
        )
    }
    max_bytes = 4 * max_pixels + (1 << 20)
    tally = _Tally()
    entries = _folder_entries(source) if source.is_dir() else _tar_entries(source)
    staging = None if dry_run else _make_staging_folder()
    bar = progress(total=entries.total, desc=source.name, unit=" pictures")
    try:
        with closing(entries), _Renderer(processes or os.cpu_count() or 1, max_pixels) as renderer:
            for entry in entries:
                picture = _accept(
                    entry, wanted=wanted, recorded=recorded, max_bytes=max_bytes, tally=tally
                )
                if picture is None:
                    bar.update()
                    continue
                data = entry.read()
                picture.sha256 = hashlib.sha256(data).hexdigest()
                previous = recorded.get(picture.number, _NOTHING_RECORDED)
                if picture.sha256 == previous.sha256:
                    tally.unchanged += 1
                    if previous.is_stand_in != stand_in:
                        tally.flag_changes.append(picture.number)
                    bar.update()
                    continue
                job: _Job = (data, None, None)
                if staging is not None:
                    (staging / picture.picture_name).write_bytes(data)
                    job = (data, staging / picture.thumbnail_name, staging / picture.display_name)
                for done, outcome in renderer.add(picture, job):
                    _take(done, outcome, tally=tally)
                    bar.update()
            for done, outcome in renderer.finish():
                _take(done, outcome, tally=tally)
                bar.update()
        _check_catalogue(tally)
        if staging is not None and (tally.pictures or tally.flag_changes):
            _publish(staging=staging, tally=tally, recorded=recorded, stand_in=stand_in)
    finally:
        bar.close()
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return PictureImportResult(
        source=source,
        imported=len(tally.pictures),
        replaced=sum(1 for picture in tally.pictures if picture.number in recorded),
        unchanged=tally.unchanged,
        skipped=tally.skipped,
        dry_run=dry_run,
    )


@dataclass(frozen=True)
class _Recorded:
    sha256: str
    is_stand_in: bool
    display: str


_NOTHING_RECORDED = _Recorded(sha256="", is_stand_in=False, display="")


@dataclass
class _Picture:
    """A member on its way in: named and numbered, then hashed, then rendered."""

    member: str
    number: int
    sha256: str = ""
    facts: PictureFacts | None = None

    @property
    def picture_name(self) -> str:
        return f"pictures/{file_name_of(self.number)}"

    @property
    def thumbnail_name(self) -> str:
        return f"thumbnails/{file_name_of(self.number)}"

    @property
    def display_name(self) -> str:
        return f"display/{file_name_of(self.number)}"


# What a worker gets for one picture: its bytes, where to write the thumbnail and display copy.
_Job = tuple[bytes, Path | None, Path | None]
_Outcome = tuple[_Picture, PictureFacts | PictureError]


@dataclass
class _Tally:
    pictures: list[_Picture] = field(default_factory=list)
    members: dict[int, str] = field(default_factory=dict)
    unchanged: int = 0
    skipped: int = 0
    flag_changes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    """A member of the source, read only when it is wanted (a tar stream skips the others)."""

    member: str
    kind: str  # "file", "directory" or what else it is ("symbolic link", ...)
    size: int
    read: Callable[[], bytes]


class _Entries:
    """The members of a source as ``_Entry`` items, with their count when it is known."""

    def __init__(self, entries: Iterator[_Entry], total: int | None):
        self._entries = entries
        self.total = total

    def __iter__(self) -> Iterator[_Entry]:
        return self._entries

    def close(self) -> None:
        self._entries.close()


def _read_subset(path: Path) -> frozenset[int]:
    try:
        pairs = read_dataset_index(path)
    except FileNotFoundError as exc:
        raise PictureImportError(f"subset {path}: no such file") from exc
    except OSError as exc:
        raise PictureImportError(f"subset {path}: cannot be read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise PictureImportError(f"subset {path}: not valid JSON ({exc})") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PictureImportError(
            f'subset {path}: expected {{"image_filenames": [[file name, wnid], ...]}}'
        ) from exc
    numbers = set()
    for name, _ in pairs:
        number = image_number(name)
        if number is None:
            raise PictureImportError(f"subset {path}: {name!r} is not a validation file name")
        numbers.add(number)
    return frozenset(numbers)


def _accept(
    entry: _Entry,
    *,
    wanted: frozenset[int] | None,
    recorded: dict[int, _Recorded],
    max_bytes: int,
    tally: _Tally,
) -> _Picture | None:
    """The picture an entry brings, None for one that is skipped; raises on bad input."""
    path = PurePosixPath(entry.member)
    if path.is_absolute() or ".." in path.parts:
        raise PictureImportError(f"{entry.member}: the path escapes the archive")
    if entry.kind == "directory" or any(part.startswith(".") for part in path.parts):
        return None
    if entry.kind != "file":
        raise PictureImportError(f"{entry.member}: is a {entry.kind}, not a regular file")
    number = image_number(path.name)
    if number is None:
        raise PictureImportError(
            f"{entry.member}: not a validation file name "
            f"({file_name_of(1)} to {file_name_of(50_000)})"
        )
    if wanted is not None and number not in wanted:
        tally.skipped += 1
        return None
    if number in tally.members:
        raise PictureImportError(f"{entry.member}: the same picture as {tally.members[number]}")
    tally.members[number] = entry.member
    if entry.size > max_bytes:
        raise PictureImportError(
            f"{entry.member}: {entry.size:,} bytes is more than any picture within the pixel "
            f"limit needs ({max_bytes:,} bytes)"
        )
    return _Picture(member=entry.member, number=number)


def _tar_entries(source: Path) -> _Entries:
    return _Entries(_iterate_tar(source), total=None)


def _iterate_tar(source: Path) -> Iterator[_Entry]:
    last = None
    try:
        with tarfile.open(source, mode="r|*") as tar:
            for info in tar:
                yield _Entry(
                    member=info.name,
                    kind=_tar_kind(info),
                    size=info.size,
                    read=lambda tar=tar, info=info: _read_tar_member(tar, info),
                )
                last = info.name
            # tarfile takes a stream cut at a member boundary for the end: the two zero blocks
            # that close a tar tell a complete archive from a truncated one.
            if len(tar.fileobj.read(tarfile.BLOCKSIZE)) < tarfile.BLOCKSIZE:
                raise tarfile.ReadError("no end-of-archive marker")
    except ARCHIVE_ERRORS as exc:
        if last is None:
            raise PictureImportError(f"not a readable tar archive ({exc})") from exc
        raise PictureImportError(
            f"the archive is truncated or damaged after {last} ({exc})"
        ) from exc


def _read_tar_member(tar: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    try:
        data = tar.extractfile(info).read()
    except ARCHIVE_ERRORS as exc:
        raise PictureImportError(
            f"{info.name}: the archive is truncated or damaged ({exc})"
        ) from exc
    if len(data) != info.size:
        raise PictureImportError(f"{info.name}: the archive is truncated in this member")
    return data


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.isfile():
        return "file"
    if info.isdir():
        return "directory"
    if info.issym():
        return "symbolic link"
    if info.islnk():
        return "hard link"
    return "device or pipe"


def _folder_entries(source: Path) -> _Entries:
    paths = []
    for folder, subfolders, files in os.walk(source):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        paths.extend(Path(folder, name) for name in sorted(files) if not name.startswith("."))
    return _Entries(_iterate_folder(source, paths), total=len(paths))


def _iterate_folder(source: Path, paths: list[Path]) -> Iterator[_Entry]:
    for path in paths:
        member = path.relative_to(source).as_posix()
        is_file = path.is_file()
        yield _Entry(
            member=member,
            kind="file" if is_file else "broken link or special file",
            size=path.stat().st_size if is_file else 0,
            read=lambda path=path, member=member: _read_file(path, member),
        )


def _read_file(path: Path, member: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PictureImportError(f"{member}: cannot be read ({exc.strerror})") from exc


class _Renderer:
    """Renders pictures in worker processes, a bounded number of batches at a time, in order."""

    def __init__(self, processes: int, max_pixels: int):
        self._processes = processes
        self._max_pixels = max_pixels
        self._executor: ProcessPoolExecutor | None = None
        self._pending: deque[tuple[list[_Picture], Future]] = deque()
        self._batch: list[_Picture] = []
        self._jobs: list[_Job] = []
        self._bytes = 0

    def __enter__(self) -> "_Renderer":
        return self

    def __exit__(self, *exc_info) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def add(self, picture: _Picture, job: _Job) -> list[_Outcome]:
        """Queue one picture; returns those rendered meanwhile."""
        self._batch.append(picture)
        self._jobs.append(job)
        self._bytes += len(job[0])
        if len(self._batch) < BATCH_SIZE and self._bytes < BATCH_BYTES:
            return []
        if self._executor is None and self._processes > 1:
            self._executor = ProcessPoolExecutor(self._processes, mp_context=_worker_context())
        batch, jobs = self._take_batch()
        if self._executor is None:
            return self._render_here(batch, jobs)
        future = self._executor.submit(render_pictures, jobs, max_pixels=self._max_pixels)
        self._pending.append((batch, future))
        done = []
        while len(self._pending) > 2 * self._processes:
            done.extend(self._collect_oldest())
        return done

    def finish(self) -> list[_Outcome]:
        """Render what is left; returns every picture not yet returned."""
        batch, jobs = self._take_batch()
        done = []
        while self._pending:
            done.extend(self._collect_oldest())
        return done + self._render_here(batch, jobs)

    def _take_batch(self) -> tuple[list[_Picture], list[_Job]]:
        batch, jobs = self._batch, self._jobs
        self._batch, self._jobs, self._bytes = [], [], 0
        return batch, jobs

    def _render_here(self, batch: list[_Picture], jobs: list[_Job]) -> list[_Outcome]:
        return list(zip(batch, render_pictures(jobs, max_pixels=self._max_pixels), strict=True))

    def _collect_oldest(self) -> list[_Outcome]:
        batch, future = self._pending.popleft()
        try:
            outcomes = future.result()
        except BrokenProcessPool as exc:
            raise PictureImportError(
                f"{batch[0].member}: a worker process died decoding it or one of the "
                f"{len(batch) - 1} members after it ({exc})"
            ) from exc
        return list(zip(batch, outcomes, strict=True))


def _worker_context() -> multiprocessing.context.BaseContext:
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _take(picture: _Picture, outcome: PictureFacts | PictureError, *, tally: _Tally) -> None:
    if isinstance(outcome, PictureError):
        raise PictureImportError(f"{picture.member}: {outcome}")
    picture.facts = outcome
    tally.pictures.append(picture)


def _check_catalogue(tally: _Tally) -> None:
    numbers = sorted(tally.members)
    known: set[int] = set()
    for start in range(0, len(numbers), UPDATE_BATCH_SIZE):
        chunk = numbers[start : start + UPDATE_BATCH_SIZE]
        known.update(ValImage.objects.filter(number__in=chunk).values_list("number", flat=True))
    missing = [number for number in numbers if number not in known]
    if missing:
        member = tally.members[missing[0]]
        raise PictureImportError(f"{member}: not in the catalogue (was migrate run?)")


def _make_staging_folder() -> Path:
    try:
        # Beside the media files, so that publishing is a rename on the same file system.
        root = Path(default_storage.path(""))
        root.mkdir(parents=True, exist_ok=True)
    except NotImplementedError:
        root = None  # a remote storage: stage in the system's temporary folder
    staging = Path(tempfile.mkdtemp(prefix=".staging-import_images-", dir=root))
    for folder in STAGED_FOLDERS:
        (staging / folder).mkdir()
    return staging


class _StagedFile(File):
    """A staged file, which a storage that can (as FileSystemStorage) moves rather than copies."""

    def temporary_file_path(self) -> str:
        return self.file.name


@transaction.atomic
def _publish(
    *, staging: Path, tally: _Tally, recorded: dict[int, _Recorded], stand_in: bool
) -> None:
    """Move the staged files into storage and point the rows at them, in one transaction."""
    now = timezone.now()
    created: list[str] = []
    stale_displays: list[str] = []
    rows = []
    _prepare_folders(
        ["pictures", "thumbnails"]
        + (["display"] if any(picture.facts.has_display for picture in tally.pictures) else [])
    )
    try:
        for picture in tally.pictures:
            previous = recorded.get(picture.number, _NOTHING_RECORDED)
            names = [picture.picture_name, picture.thumbnail_name]
            if picture.facts.has_display:
                names.append(picture.display_name)
            elif previous.display:
                stale_displays.append(previous.display)
            saved = []
            for name in names:
                saved.append(_publish_file(staging / name, name))
                if not previous.sha256 or (name == picture.display_name and not previous.display):
                    created.append(saved[-1])
            rows.append(
                {
                    "number": picture.number,
                    "picture": saved[0],
                    "thumbnail": saved[1],
                    "display": saved[2] if len(saved) > 2 else "",
                    "width": picture.facts.width,
                    "height": picture.facts.height,
                    "color_mode": picture.facts.color_mode,
                    "picture_sha256": picture.sha256,
                    "is_stand_in": stand_in,
                    "picture_imported_at": now,
                }
            )
        _update_rows(rows)
        for start in range(0, len(tally.flag_changes), UPDATE_BATCH_SIZE):
            numbers = tally.flag_changes[start : start + UPDATE_BATCH_SIZE]
            ValImage.objects.filter(number__in=numbers).update(is_stand_in=stand_in)
    except BaseException:
        _delete_files(created)
        raise
    transaction.on_commit(partial(_delete_files, stale_displays))


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _prepare_folders(folders: list[str]) -> None:
    if isinstance(default_storage, FileSystemStorage):
        for folder in folders:
            path = default_storage.path(folder)
            if not os.path.isdir(path):
                os.makedirs(path)
                if default_storage.directory_permissions_mode is not None:
                    os.chmod(path, default_storage.directory_permissions_mode)


def _publish_file(staged: Path, name: str) -> str:
    """Move a staged file into storage; returns the name it was stored under."""
    if isinstance(default_storage, FileSystemStorage):
        # What FileSystemStorage.save() does with an uploaded temporary file, less the name checks
        # and retries that cost three times the rename itself: the names are ours and fixed, and
        # a re-import replaces them on purpose.
        target = default_storage.path(name)
        os.replace(staged, target)
        if default_storage.file_permissions_mode is not None:
            os.chmod(target, default_storage.file_permissions_mode)
        return name
    with open(staged, "rb") as file:
        return default_storage.save(name, _StagedFile(file, name=name))


def _update_rows(rows: list[dict[str, object]]) -> None:
    """Set the UPDATED_FIELDS of each row, found by its number."""
    with connection.cursor() as cursor:
        queries.update_images(cursor, fields=UPDATED_FIELDS, rows=rows)
