"""Which release froze an image: the one question the review workflow asks of releases.

A review of an image that a release labels can no longer change, and the adjudication queue
leaves such images out. Releases are cut from the reviews, so the releases app sits above this
one and this one imports nothing from it: the releases app answers through :func:`answer_with`
when Django starts (``ReleasesConfig.ready``). Without it the question has no answer, and asking
it is a configuration error rather than a silent "never frozen"."""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

_release_of: Callable[..., str | None] | None = None
_frozen_images: Callable[[], QuerySet] | None = None


def answer_with(
    *, release_of: Callable[..., str | None], frozen_images: Callable[[], QuerySet]
) -> None:
    """``release_of(image_id=...)``: the version of the first release that labels the image, or
    None; ``frozen_images()``: a query of the ids (``image_id``) of every image a release labels."""
    global _release_of, _frozen_images
    _release_of, _frozen_images = release_of, frozen_images


def _answered() -> None:
    if _release_of is None or _frozen_images is None:
        raise ImproperlyConfigured(
            "The releases app is not installed: nothing says what is frozen."
        )


def release_of(*, image_id: int) -> str | None:
    """The version of the first release that labels the image, if any."""
    _answered()
    return _release_of(image_id=image_id)


def frozen_images() -> QuerySet:
    """The ids of the images that some release labels, as a query (``image_id`` values)."""
    _answered()
    return _frozen_images()
