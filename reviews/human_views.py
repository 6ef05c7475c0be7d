"""Blind labelling pages: one picture, one class chosen with the class search, the time taken;
and the person's own answers. The page is a plain form (POST, then redirect to the next image),
which its script (static/js/reviews/human_label.js) enhances with the search and the timing."""

import time

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from annotator.models import ValImage
from reviews.human_selectors import (
    blind_images,
    human_label_progress,
    human_labels_of,
    next_blind_image,
)
from reviews.models import HumanLabel
from reviews.services.human_labels import MAX_SECONDS, record_human_label
from reviews.views import panel_member_required

ANSWERS_PER_PAGE = 100
_SHOWN_SALT = "reviews.humans.shown"


def _shown_token(image: ValImage) -> str:
    """When the page was served, signed: the time taken without JavaScript."""
    return signing.dumps({"image": image.number, "at": time.time()}, salt=_SHOWN_SALT)


def _seconds(data: QueryDict, number: int) -> float | None:
    """The browser's measure (picture loaded to answer), else the time since the page was
    served; clamped to 0..MAX_SECONDS. None when neither is usable."""
    try:
        measured = float(data.get("seconds", ""))
    except ValueError:
        measured = None
    if measured is None or measured != measured:  # NaN
        try:
            shown = signing.loads(data.get("shown", ""), salt=_SHOWN_SALT)
        except signing.BadSignature:
            return None
        if shown.get("image") != number:
            return None
        measured = time.time() - shown["at"]
    return min(max(measured, 0.0), MAX_SECONDS)


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _label_page(
    request: HttpRequest,
    image: ValImage | None,
    *,
    error: str = "",
    changing: bool = False,
    status: int = 200,
) -> HttpResponse:
    previous = None
    if image is not None:
        previous = (
            HumanLabel.objects.filter(person=request.user, image=image)
            .select_related("label")
            .first()
        )
    return render(
        request,
        "reviews/human_label.html",
        {
            "image": image,
            "shown": _shown_token(image) if image is not None else "",
            "previous": previous,
            "changing": changing or previous is not None,
            "progress": human_label_progress(person=request.user),
            "error": error,
        },
        status=status,
    )


@panel_member_required
@require_http_methods(["GET", "POST"])
def label(request: HttpRequest) -> HttpResponse:
    """GET: the next image in the person's own order (``?after=`` the one just left, ``?image=``
    one to answer again). POST: store the answer, then on to the next image."""
    if request.method == "POST":
        return _answer(request)
    number = _number(request.GET.get("image"))
    if number is not None:
        image = get_object_or_404(blind_images(person=request.user), number=number)
        return _label_page(request, image, changing=True)
    image = next_blind_image(person=request.user, after=_number(request.GET.get("after")))
    return _label_page(request, image)


def _answer(request: HttpRequest) -> HttpResponse:
    number = _number(request.POST.get("image"))
    if number is None:
        return _label_page(request, None, error="Which image? The form sent none.", status=400)
    answer = request.POST.get("label") or request.POST.get("answer", "")
    seconds = _seconds(request.POST, number)
    try:
        if seconds is None:
            raise ValidationError(
                "The page's timer is not valid: reload the page and answer again."
            )
        record_human_label(person=request.user, image_number=number, label=answer, seconds=seconds)
    except ValidationError as exc:
        image = blind_images(person=request.user).filter(number=number).first()
        return _label_page(
            request,
            image,
            error=" ".join(exc.messages),
            changing=request.POST.get("change") == "1",
            status=400,
        )
    if request.POST.get("change") == "1":
        return redirect(f"{reverse('humans:answers')}#image-{number}")
    return redirect(f"{reverse('humans:label')}?after={number}")


@panel_member_required
@require_GET
def answers(request: HttpRequest) -> HttpResponse:
    """The person's own blind answers, latest first, each with a link to change it."""
    page = Paginator(human_labels_of(person=request.user), ANSWERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reviews/human_answers.html",
        {"page": page, "progress": human_label_progress(person=request.user)},
    )
