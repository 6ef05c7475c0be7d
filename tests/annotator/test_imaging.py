"""The pure picture module: thumbnails, display copies and the facts kept, without the database."""

import io

import pytest
from PIL import Image

from annotator.imaging import (
    PictureError,
    PictureFacts,
    needs_display_copy,
    render_picture,
    render_pictures,
)
from demo.data import DEMO_PICTURES

SAMPLES = DEMO_PICTURES  # the repo's copies of the shared sample pictures
LIMIT = 64_000_000


def make_picture(
    size=(64, 48), *, mode="RGB", color="orange", fmt="JPEG", orientation=None
) -> bytes:
    image = Image.new(mode, size, color)
    options = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def open_jpeg(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image


def test_typical_rgb_picture_gets_a_thumbnail_and_no_display_copy():
    rendition = render_picture(make_picture((500, 375)), max_pixels=LIMIT)

    assert (rendition.width, rendition.height, rendition.color_mode) == (500, 375, "RGB")
    assert rendition.display is None
    thumbnail = open_jpeg(rendition.thumbnail)
    assert thumbnail.size == (256, 192)
    assert thumbnail.mode == "RGB"


def test_small_picture_is_never_enlarged_for_its_thumbnail():
    rendition = render_picture(make_picture((40, 30)), max_pixels=LIMIT)

    assert open_jpeg(rendition.thumbnail).size == (40, 30)


def test_large_picture_gets_a_display_copy_fitting_1024():
    rendition = render_picture(make_picture((2400, 1600)), max_pixels=LIMIT)

    assert (rendition.width, rendition.height) == (2400, 1600)
    assert open_jpeg(rendition.display).size == (1024, 683)
    assert open_jpeg(rendition.thumbnail).size == (256, 171)


def test_grayscale_picture_keeps_its_mode_and_needs_no_display_copy():
    rendition = render_picture(make_picture((500, 375), mode="L", color=128), max_pixels=LIMIT)

    assert rendition.color_mode == "L"
    assert rendition.display is None
    assert open_jpeg(rendition.thumbnail).mode == "RGB"


def test_grayscale_imagenet_picture_keeps_its_mode_and_needs_no_display_copy():
    data = (SAMPLES / "n04356056_sunglasses.JPEG").read_bytes()

    rendition = render_picture(data, max_pixels=LIMIT)

    assert rendition.color_mode == "L"
    assert rendition.display is None
    assert open_jpeg(rendition.thumbnail).mode == "RGB"


def test_cmyk_picture_gets_an_rgb_display_copy_with_the_right_colours():
    rendition = render_picture(
        make_picture((80, 60), mode="CMYK", color=(0, 255, 255, 0)), max_pixels=LIMIT
    )

    assert rendition.color_mode == "CMYK"
    display = open_jpeg(rendition.display)
    assert display.mode == "RGB"
    red, green, blue = display.getpixel((40, 30))
    assert red > 200 and green < 60 and blue < 60  # no cyan, full magenta and yellow: red


def test_exif_orientation_6_swaps_width_and_height_and_turns_the_display_copy_upright():
    stored = Image.new("RGB", (80, 40), "blue")
    stored.paste((255, 0, 0), (0, 0, 40, 40))  # the stored picture's left half is red
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned a quarter clockwise: the stored left side comes on top
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", exif=exif.tobytes())

    rendition = render_picture(buffer.getvalue(), max_pixels=LIMIT)

    assert (rendition.width, rendition.height) == (40, 80)
    display = open_jpeg(rendition.display)
    assert display.size == (40, 80)
    assert display.getpixel((20, 10))[0] > 200  # red on top
    assert display.getpixel((20, 70))[2] > 200  # blue below
    assert open_jpeg(rendition.thumbnail).size == (40, 80)


def test_png_with_transparency_is_shown_on_white():
    rendition = render_picture(
        make_picture((20, 20), mode="RGBA", color=(0, 0, 0, 0), fmt="PNG"), max_pixels=LIMIT
    )

    assert rendition.color_mode == "RGBA"
    assert open_jpeg(rendition.display).getpixel((10, 10)) >= (250, 250, 250)


@pytest.mark.parametrize(
    ("size", "mode", "orientation", "needed"),
    [
        ((500, 375), "RGB", 1, False),
        ((1024, 1024), "L", 1, False),
        ((1025, 10), "RGB", 1, True),
        ((500, 375), "CMYK", 1, True),
        ((500, 375), "RGB", 3, True),
    ],
)
def test_display_copy_is_made_only_when_it_helps(size, mode, orientation, needed):
    assert needs_display_copy(size=size, mode=mode, orientation=orientation) is needed


def test_empty_data_is_refused():
    with pytest.raises(PictureError, match="empty"):
        render_picture(b"", max_pixels=LIMIT)


def test_data_that_is_no_picture_is_refused():
    with pytest.raises(PictureError, match="not a JPEG or PNG image"):
        render_picture(b"just some text", max_pixels=LIMIT)


def test_truncated_picture_is_refused():
    noise = Image.effect_noise((200, 150), 60).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG")
    data = buffer.getvalue()

    with pytest.raises(PictureError, match="truncated"):
        render_picture(data[: len(data) // 2], max_pixels=LIMIT)


def test_picture_over_the_pixel_limit_is_refused_as_a_decompression_bomb():
    with pytest.raises(PictureError, match="decompression bomb.*3,072 pixels"):
        render_picture(make_picture((64, 48)), max_pixels=3000)


def test_batch_rendering_writes_the_files_and_returns_errors_in_place(tmp_path):
    jobs = [
        (make_picture((2000, 1000)), tmp_path / "a-thumbnail", tmp_path / "a-display"),
        (b"", tmp_path / "b-thumbnail", tmp_path / "b-display"),
        (make_picture(), None, None),  # a dry run: checked, nothing written
    ]

    outcomes = render_pictures(jobs, max_pixels=LIMIT)

    assert outcomes[0] == PictureFacts(width=2000, height=1000, color_mode="RGB", has_display=True)
    assert isinstance(outcomes[1], PictureError)
    assert outcomes[2] == PictureFacts(width=64, height=48, color_mode="RGB", has_display=False)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-display", "a-thumbnail"]
    assert open_jpeg((tmp_path / "a-display").read_bytes()).size == (1024, 512)
