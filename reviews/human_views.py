"""Blind labelling pages: one picture, one class chosen with the class search, the time taken;
the picture itself, served by the task's token; and the person's own answers. The page is a
plain form (POST, then redirect to the next task), which its script
(static/js/reviews/human_label.js) enhances with the search and the timing. Nothing on the page
names the image: the task is known by an opaque token only."""

import time

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from reviews.human_selectors import (
    human_label_progress,
    human_labels_of,
    open_blind_task,
    stand_in_pictures_exist,
)
from reviews.models import BlindTask
from reviews.services.human_labels import (
    MAX_SECONDS,
    answer_blind_task,
    issue_blind_task,
    skip_blind_task,
)
from reviews.views import panel_member_required

ANSWERS_PER_PAGE = 100
BLIND_PICTURE_KINDS = ("display", "original")
# What a saved picture is called: the same for every task, so it names no image.
BLIND_PICTURE_FILE_NAME = "blind-picture.jpg"
_SHOWN_SALT = "reviews.humans.shown"


def _shown_token(task: BlindTask) -> str:
    """When the page was served, signed (readable, so it holds only the task's token and the
    time): the time taken without JavaScript."""
    return signing.dumps({"task": task.token, "at": time.time()}, salt=_SHOWN_SALT)


def _seconds(data: QueryDict, token: str) -> float | None:
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
        if shown.get("task") != token:
            return None
        measured = time.time() - shown["at"]
    return min(max(measured, 0.0), MAX_SECONDS)


def blind_picture_url(task: BlindTask, kind: str) -> str:
    return reverse("humans:picture", args=[task.token, kind])


def _label_page(
    request: HttpRequest, task: BlindTask | None, *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "reviews/human_label.html",
        {
            "task": task,
            "picture_url": blind_picture_url(task, "display") if task else "",
            "original_url": blind_picture_url(task, "original") if task else "",
            "shown": _shown_token(task) if task is not None else "",
            "stand_ins": stand_in_pictures_exist(),
            "progress": human_label_progress(person=request.user),
            "error": error,
        },
        status=status,
    )


@panel_member_required
@require_http_methods(["GET", "POST"])
def label(request: HttpRequest) -> HttpResponse:
    """GET: the person's open task (the same one on reload), else a new one. POST: answer it
    (or skip it, with ``skip``), then on to the next."""
    if request.method == "POST":
        return _answer(request)
    return _label_page(request, issue_blind_task(person=request.user))


def _answer(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("task", "")
    try:
        if request.POST.get("skip"):
            skip_blind_task(person=request.user, token=token)
        else:
            seconds = _seconds(request.POST, token)
            if seconds is None:
                raise ValidationError(
                    "The page's timer is not valid: reload the page and answer again."
                )
            answer = request.POST.get("label") or request.POST.get("answer", "")
            answer_blind_task(person=request.user, token=token, label=answer, seconds=seconds)
    except ValidationError as exc:
        return _label_page(
            request,
            open_blind_task(person=request.user),
            error=" ".join(exc.messages),
            status=400,
        )
    return redirect("humans:label")


@login_required
@require_GET
def picture(request: HttpRequest, token: str, kind: str) -> FileResponse:
    """The picture of an open blind task, to the person it was issued to only (404 to anyone
    else, and once it is answered or skipped), under a file name that names no image."""
    task = open_blind_task(person=request.user, token=token)
    if task is None or kind not in BLIND_PICTURE_KINDS:
        raise Http404("No such picture.")
    image = task.image
    file = image.picture if kind == "original" else (image.display or image.picture)
    if not file:
        raise Http404("No such picture.")
    try:
        handle = default_storage.open(file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404("No such picture.") from exc
    response = FileResponse(handle, content_type="image/jpeg", filename=BLIND_PICTURE_FILE_NAME)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@panel_member_required
@require_GET
def answers(request: HttpRequest) -> HttpResponse:
    """The person's own blind answers, latest first."""
    page = Paginator(human_labels_of(person=request.user), ANSWERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reviews/human_answers.html",
        {"page": page, "progress": human_label_progress(person=request.user)},
    )
