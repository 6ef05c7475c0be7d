"""Pages of scoring: leaderboards, model and person pages, scoring uploads, and blind labelling."""

import time

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotator.catalogue import class_wnids
from annotator.models import Classifier, ImageClass
from annotator.names import MODEL_NAME_MAX_LENGTH, validate_model_name
from annotator.prediction_files import PredictionFormatError
from releases import selectors as release_selectors
from releases.models import Release
from reviews.views import panel_member_required
from scoring.models import BlindTask
from scoring.scorer import ScoreError, uncovered_classes, wrong_images
from scoring.selectors import (
    SORT_KEYS,
    human_label_progress,
    human_labels_of,
    leaderboard_rows,
    missed_images,
    newest_scorable_release,
    open_blind_task,
    scatter,
    stand_in_pictures_exist,
    unscorable_reason,
    worst_classes,
)
from scoring.services.human_labels import (
    MAX_SECONDS,
    answer_blind_task,
    issue_blind_task,
    skip_blind_task,
)
from scoring.services.scoring import (
    evaluate_upload,
    read_upload,
    release_scores,
    release_table_of,
    score_detail,
)
from scoring.upload_throttle import too_many_uploads, upload_wait

MISSED_PER_PAGE = 50


class EvaluateForm(forms.Form):
    """An uploaded model; its size is limited for every upload by
    ``config.security.UploadLimitMiddleware`` (ANNOTATOR_MAX_UPLOAD_BYTES), and it is read
    within the release's upload limits (``scoring.services.scoring.upload_limits``)."""

    predictions = forms.FileField(
        help_text="CSV file_name,label · JSON Lines {file_name, label} · testbed .npy; "
        "a label is a wnid or a class index."
    )
    name = forms.CharField(
        max_length=MODEL_NAME_MAX_LENGTH,
        required=False,
        validators=[validate_model_name],
        help_text="To keep the model on every leaderboard (letters, digits and . _ + -); "
        "leave empty to score it only.",
    )

    def __init__(self, *args, release: Release | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.release = release

    def clean_predictions(self):
        upload = self.cleaned_data["predictions"]
        try:
            return read_upload(release=self.release, upload=upload, file_name=upload.name)
        except PredictionFormatError as exc:
            raise ValidationError(f"{upload.name}: {exc}") from exc


def _release(request: HttpRequest, version: str) -> Release:
    """The release, when the user may read it (blind review: see
    ``reviews.release_selectors.RELEASE_WITHHELD``); 404 or 403 otherwise."""
    release = get_object_or_404(Release.objects.without_content(), version=version)
    release_selectors.check_release_readable(viewer=request.user, release=release)
    return release


@login_required
@require_GET
def latest(request: HttpRequest) -> HttpResponse:
    """The leaderboard of the newest release that can be scored (see
    ``scoring.selectors.unscorable_reason``), else of the newest release, which says why."""
    listing = release_selectors.release_list(viewer=request.user)
    newest = newest_scorable_release(viewer=request.user) or listing.readable.first()
    if newest is None:
        context = {"release": None, "withheld": listing.withheld}
        return render(request, "scoring/leaderboard.html", context)
    return redirect("scores:leaderboard", version=newest.version)


def _newer_unscorable(request: HttpRequest, release: Release) -> list[dict]:
    """The releases newer than ``release`` that cannot be scored, newest first, when none newer
    can (so ``release`` is the newest that can): the page says so."""
    newer = release_selectors.readable_releases(viewer=request.user).filter(
        created_at__gt=release.created_at
    )
    shown = []
    for other in newer:
        reason = unscorable_reason(release=other)
        if reason is None:
            return []
        shown.append({"release": other, "reason": reason})
    return shown


def _leaderboard_page(request, release, form, result=None, status=200) -> HttpResponse:
    entries = release_scores(release=release)
    sort = request.GET.get("sort", "multi_label")
    unscorable = unscorable_reason(release=release, entries=entries)
    return render(
        request,
        "scoring/leaderboard.html",
        {
            "release": release,
            "releases": release_selectors.readable_releases(viewer=request.user),
            "rows": leaderboard_rows(entries, sort),
            "sort": sort if sort in SORT_KEYS else "multi_label",
            "sort_keys": SORT_KEYS,
            "plot": scatter(entries),
            "unscorable": unscorable,
            # What every model's row says when the release covers too few classes: said once.
            "release_problem": uncovered_classes(release_table_of(release)),
            "scorable": newest_scorable_release(viewer=request.user) if unscorable else None,
            "newer_unscorable": [] if unscorable else _newer_unscorable(request, release),
            "form": form,
            "result": result,
        },
        status=status,
    )


@login_required
@require_GET
def leaderboard(request: HttpRequest, version: str) -> HttpResponse:
    """Every model and person scored on the release, sortable, with the paper's scatter plot."""
    return _leaderboard_page(request, _release(request, version), EvaluateForm())


@login_required
@require_POST
def evaluate(request: HttpRequest, version: str) -> HttpResponse:
    """Score an uploaded model on the release; with a name, keep it for every leaderboard."""
    release = _release(request, version)
    wait = upload_wait(request)
    if wait is not None:
        # Not bound: the file is neither read nor reported missing; the name is kept.
        form = EvaluateForm(initial={"name": request.POST.get("name", "")}, release=release)
        form.cleaned_data = {}
        form.add_error(None, too_many_uploads(wait))
        response = _leaderboard_page(request, release, form, status=429)
        response["Retry-After"] = str(wait)
        return response
    form = EvaluateForm(request.POST, request.FILES, release=release)
    if not form.is_valid():
        return _leaderboard_page(request, release, form, status=400)
    try:
        evaluation = evaluate_upload(
            release=release,
            predictions=form.cleaned_data["predictions"],
            file_name=request.FILES["predictions"].name,
            name=form.cleaned_data["name"],
            by=request.user,
        )
    except (ScoreError, ValidationError) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        form.add_error(None, message)
        return _leaderboard_page(request, release, form, status=400)
    if evaluation.kept is not None:
        name = evaluation.kept.name
        messages.success(request, f"{name} is kept and scored on every release.")
        return redirect("scores:model", version=version, name=name)
    return _leaderboard_page(request, release, EvaluateForm(), result=evaluation.score.summary())


def _detail_page(request: HttpRequest, version: str, name: str, kind: str) -> HttpResponse:
    release = _release(request, version)
    try:
        detail = score_detail(release=release, name=name, kind=kind)
    except (Classifier.DoesNotExist, get_user_model().DoesNotExist) as exc:
        raise Http404(f"No {kind} named {name}.") from exc
    other = None
    others = release_selectors.readable_releases(viewer=request.user).exclude(pk=release.pk)
    against = request.GET.get("against")
    if against:
        other_release = get_object_or_404(others, version=against)
        other_detail = score_detail(release=other_release, name=name, kind=kind)
        other = {
            "release": other_release,
            "summary": other_detail.summary,
            "error": other_detail.error,
        }
    context = {
        "release": release,
        "detail": detail,
        "kind": kind,
        "others": others,
        "other": other,
        "query": f"against={against}" if other else "",
    }
    if detail.summary is not None:
        wrong = wrong_images(detail.table, detail.top1)
        page = Paginator(range(len(wrong)), MISSED_PER_PAGE).get_page(request.GET.get("page"))
        missed = missed_images(detail, wrong[page.start_index() - 1 : page.end_index()])
        names = dict(ImageClass.objects.values_list("pk", "names"))
        wnids = class_wnids()
        per_class = detail.per_class
        context.update(
            worst=worst_classes(detail),
            missed=missed,
            missed_total=len(wrong),
            page=page,
            class_table=[
                {
                    "index": c,
                    "wnid": wnids[c],
                    "name": names[c][0],
                    "images": per_class["images"][c],
                    "right": per_class["right"][c],
                    "strict": per_class["strict"][c],
                    "original": per_class["original"][c],
                }
                for c in range(len(per_class["images"]))
                if per_class["images"][c]
            ],
        )
    return render(request, "scoring/score_detail.html", context)


@login_required
@require_GET
def model_detail(request: HttpRequest, version: str, name: str) -> HttpResponse:
    """A model's scores, worst classes and the images it gets wrong; against another release."""
    return _detail_page(request, version, name, "model")


@login_required
@require_GET
def person_detail(request: HttpRequest, version: str, username: str) -> HttpResponse:
    """A person's blind answers scored like a model."""
    return _detail_page(request, version, username, "person")


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
        "scoring/human_label.html",
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
        "scoring/human_answers.html",
        {"page": page, "progress": human_label_progress(person=request.user)},
    )
