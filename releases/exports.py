"""The export formats of a release: the one table that the cut, the downloads (page and API),
the admin and ``export_release`` read. To add a format, add a row here: a writer from the
release's labels, its content type and file name, and where its bytes are kept (a field of
``Release`` written once when the release is made, or None to write it at each download)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse

from releases.exchange import LabelFile, iter_csv, iter_jsonl, iter_label_file
from releases.models import Release
from releases.selectors import release_labels

EXPORT_CHUNK = 256 * 1024


@dataclass(frozen=True)
class ExportFormat:
    name: str
    content_type: str
    file_name: str  # with {version}
    # Writes the labels; ``checked=False`` skips the per-image checks of a stored release.
    write: Callable[..., Iterator[str]]
    stored_field: str | None  # the Release field that keeps the bytes, if any

    def file_name_of(self, version: str) -> str:
        return self.file_name.format(version=version)


def _write_tfds(label_file: LabelFile, *, checked: bool = True) -> Iterator[str]:
    return iter_label_file(label_file)


EXPORT_FORMATS: dict[str, ExportFormat] = {
    export.name: export
    for export in (
        # The canonical exchange file, byte for byte the one the release's sha256 names.
        ExportFormat(
            "tfds",
            "application/json",
            "imagenet2012_multilabel-{version}.json",
            _write_tfds,
            "exchange",
        ),
        ExportFormat(
            "jsonl",
            "application/x-ndjson",
            "imagenet2012_multilabel-{version}.jsonl",
            iter_jsonl,
            "jsonl_export",
        ),
        ExportFormat(
            "csv", "text/csv", "imagenet2012_multilabel-{version}.csv", iter_csv, "csv_export"
        ),
    )
}
DEFAULT_FORMAT = "tfds"


def find_export_format(name: str) -> ExportFormat:
    """The format called ``name``; ValidationError naming the known ones otherwise."""
    try:
        return EXPORT_FORMATS[name]
    except KeyError:
        raise ValidationError(
            f"Unknown format “{name}”: use {', '.join(EXPORT_FORMATS)}."
        ) from None


def stored_exports(label_file: LabelFile) -> dict[str, bytes]:
    """The Release fields that keep a new release's exports, written once when it is made."""
    return {
        export.stored_field: "".join(export.write(label_file)).encode()
        for export in EXPORT_FORMATS.values()
        if export.stored_field
    }


def iter_export(*, release: Release, export_format: str) -> Iterator[str]:
    """The release in an export format, as text chunks of the bytes stored with the release (the
    tfds one is the canonical file, byte for byte), or written from its labels when the format
    keeps none or the release was made before it did."""
    export = find_export_format(export_format)
    content = bytes(getattr(release, export.stored_field)) if export.stored_field else b""
    if not content:
        yield from export.write(release_labels(release=release), checked=False)
        return
    for start in range(0, len(content), EXPORT_CHUNK):
        # Every export is ASCII, so a chunk boundary never splits a character.
        yield content[start : start + EXPORT_CHUNK].decode("ascii")


def export_response(*, release: Release, export_format: str) -> StreamingHttpResponse:
    """A release export as a download, streamed in chunks rather than built whole."""
    export = find_export_format(export_format)
    response = StreamingHttpResponse(
        iter_export(release=release, export_format=export.name), content_type=export.content_type
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{export.file_name_of(release.version)}"'
    )
    return response
