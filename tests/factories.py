"""``make_*`` helpers that build catalogue rows for tests (the catalogue itself is migrated in)."""

import io
from datetime import UTC, datetime
from itertools import count

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from PIL import Image

from annotator.models import Candidate, ValImage

_serial = count(1)


def make_user(*, username: str | None = None, password: str = "a-long-test-password", **fields):
    username = username or f"user{next(_serial)}"
    return get_user_model().objects.create_user(username=username, password=password, **fields)


def make_jpeg(*, size: tuple[int, int] = (64, 48), color: str = "teal", mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def attach_picture(image: ValImage, *, stand_in: bool = False) -> ValImage:
    """Give an image a small picture and thumbnail in storage, as import_images would."""
    data = make_jpeg()
    image.picture.save(f"pictures/{image.file_name}", ContentFile(data), save=False)
    image.thumbnail.save(f"thumbnails/{image.file_name}", ContentFile(data), save=False)
    image.width, image.height, image.color_mode = 64, 48, "RGB"
    image.is_stand_in = stand_in
    image.picture_imported_at = datetime.now(UTC)
    image.save()
    return image


def make_candidates(image: ValImage, votes: dict[int, int]) -> list[Candidate]:
    """Candidates for ``image``: class index -> top-1 votes (top-5 votes one more)."""
    candidates = Candidate.objects.bulk_create(
        Candidate(
            image=image,
            label_id=label,
            top1_votes=top1,
            top5_votes=top1 + 1,
            proposed_by=[f"model{n}" for n in range(top1)],
        )
        for label, top1 in votes.items()
    )
    ValImage.objects.filter(pk=image.pk).update(candidate_count=len(votes))
    return candidates
