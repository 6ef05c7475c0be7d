"""Pictures made browser-friendly with Pillow: the thumbnail, the display copy and the facts kept.

Pure: bytes in, bytes and numbers out, no ORM and no Django, so that the worker processes of the
picture import start quickly and the tests need no database.

- The thumbnail is a JPEG that fits in 256x256, always RGB.
- The display copy is a JPEG that fits in 1024x1024, RGB, made only when the original would not do
  in a browser as it is: larger than 1024 on a side, a mode other than RGB or L (CMYK...), or an
  EXIF orientation other than 1 (the pixels are turned upright in the copy).
- Width and height are the picture as displayed, after the EXIF orientation; the colour mode is
  the original's.
- Only JPEG and PNG are read (ImageNet's pictures are JPEGs, with the odd PNG among the training
  ones); Pillow's rarer decoders are not exposed to files from outside.
"""

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

THUMBNAIL_BOX = 256
DISPLAY_BOX = 1024
THUMBNAIL_QUALITY = 85
DISPLAY_QUALITY = 90
READ_FORMATS = ("JPEG", "PNG")
BROWSER_MODES = frozenset({"RGB", "L"})
# EXIF orientations 5 to 8 turn the picture a quarter: the displayed width is the stored height.
QUARTER_TURNS = frozenset({5, 6, 7, 8})


class PictureError(ValueError):
    """A picture that cannot be imported; the message completes "<file name> ..."."""


@dataclass(frozen=True)
class PictureFacts:
    """What the catalogue records of a picture: its size as displayed and its original's mode."""

    width: int
    height: int
    color_mode: str
    has_display: bool


@dataclass(frozen=True)
class Rendition:
    """What the catalogue keeps of one picture besides its original bytes."""

    width: int
    height: int
    color_mode: str
    thumbnail: bytes
    display: bytes | None

    @property
    def facts(self) -> PictureFacts:
        return PictureFacts(self.width, self.height, self.color_mode, self.display is not None)


def needs_display_copy(*, size: tuple[int, int], mode: str, orientation: int) -> bool:
    """Whether a browser needs a converted copy rather than the original."""
    return max(size) > DISPLAY_BOX or mode not in BROWSER_MODES or orientation != 1


def render_picture(data: bytes, *, max_pixels: int) -> Rendition:
    """Check and decode one picture, and make its thumbnail and, when needed, its display copy."""
    if not data:
        raise PictureError("is empty (0 bytes)")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _render(data, max_pixels=max_pixels)
        except PictureError:
            raise
        except UnidentifiedImageError as exc:
            raise PictureError(f"is not a {' or '.join(READ_FORMATS)} image") from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PictureError(f"is refused as a decompression bomb: {exc}") from exc
        except Exception as exc:
            # Damaged or crafted files make Pillow raise nearly anything (OSError for truncated
            # data, SyntaxError, struct.error, ...): each one means this picture cannot be used.
            raise PictureError(f"cannot be decoded: {exc}") from exc


def render_pictures(
    pictures: Sequence[tuple[bytes, Path | None, Path | None]], *, max_pixels: int
) -> list[PictureFacts | PictureError]:
    """``render_picture`` over a batch, for a worker process: each (data, thumbnail path, display
    path) gets its thumbnail and display copy written there (unless the path is None) and its
    facts returned; errors are returned, not raised."""
    outcomes: list[PictureFacts | PictureError] = []
    for data, thumbnail_path, display_path in pictures:
        try:
            rendition = render_picture(data, max_pixels=max_pixels)
        except PictureError as exc:
            outcomes.append(exc)
            continue
        if thumbnail_path is not None:
            thumbnail_path.write_bytes(rendition.thumbnail)
        if display_path is not None and rendition.display is not None:
            display_path.write_bytes(rendition.display)
        outcomes.append(rendition.facts)
    return outcomes


def _render(data: bytes, *, max_pixels: int) -> Rendition:
    image = Image.open(io.BytesIO(data), formats=READ_FORMATS)
    width, height = image.size
    if width * height > max_pixels:
        raise PictureError(
            f"is refused as a decompression bomb: {width}x{height} is {width * height:,} pixels, "
            f"over the limit of {max_pixels:,}"
        )
    mode = image.mode
    orientation = _orientation(image)
    icc_profile = image.info.get("icc_profile") if mode == "RGB" else None
    display_wanted = needs_display_copy(size=image.size, mode=mode, orientation=orientation)
    # Draft mode lets libjpeg decode at 1/2, 1/4 or 1/8 scale, still at least the box size.
    box = DISPLAY_BOX if display_wanted else THUMBNAIL_BOX
    image.draft("RGB", (box, box))
    image.load()
    if orientation != 1:
        image = ImageOps.exif_transpose(image)
    image = _as_rgb(image)
    display = None
    if display_wanted:
        image.thumbnail((DISPLAY_BOX, DISPLAY_BOX))
        display = _encode_jpeg(image, quality=DISPLAY_QUALITY, icc_profile=icc_profile)
    image.thumbnail((THUMBNAIL_BOX, THUMBNAIL_BOX))
    thumbnail = _encode_jpeg(image, quality=THUMBNAIL_QUALITY, icc_profile=icc_profile)
    if orientation in QUARTER_TURNS:
        width, height = height, width
    return Rendition(
        width=width, height=height, color_mode=mode, thumbnail=thumbnail, display=display
    )


def _orientation(image: Image.Image) -> int:
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:
        # A damaged EXIF block says nothing reliable about orientation; the pixels may be fine.
        return 1
    return orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1


def _as_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Transparent parts shown on white, as a browser page would show them.
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image, *, quality: int, icc_profile: bytes | None) -> bytes:
    buffer = io.BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    image.save(buffer, "JPEG", quality=quality, **options)
    return buffer.getvalue()
