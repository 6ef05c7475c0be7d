"""The lead's pages of mistake review: the list of reviews, a new review, and one review's
summary (progress, the breakdown per model as stacked bars, the confused class pairs, the
disputed mistakes to decide, the major mistakes and the ImageNet-M pick, which goes on to the
cut of the next release). Leads only: experts get 403, as on every lead page."""

from collections.abc import Callable, Sequence
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotator.catalogue import file_name_of
from mistakes.forms import ImagenetMForm, MistakeDecisionForm, NewMistakeReviewForm
from mistakes.models import Mistake, MistakeReview
from mistakes.selectors import ModelBreakdown
from mistakes.services.mistake_reviews import decide_mistake, open_mistake_review
from mistakes.summaries import (
    DEFAULT_LIMIT,
    DEFAULT_MIN_MODELS,
    MistakeReviewSummary,
    class_names,
    judgments_of,
    lead_mistake_reviews,
    mistake_review_summary,
    pictured,
    review_listings,
)
from mistakes.taxonomy import CATEGORY_HELP, FailureCategory, Severity
from releases.models import Release
from releases.versions import VERSION
from reviews.roles import is_lead

LEADS_ONLY = "Only panel leads manage mistake reviews."
DISPUTED_SHOWN = 25  # disputed mistakes on the page at once; deciding one brings the next
MAJOR_PAGE = 48

# Geometry of the stacked bars, in SVG user units (the SVG scales with the page): per model a
# name line, a bar of its mistakes by category and one by severity, from LEFT to LEFT + SCALE.
CHART_LEFT, CHART_SCALE, CHART_RIGHT = 84, 560, 56
BAR_HEIGHT, BLOCK = 22, 84
LABEL_MIN_WIDTH = 22  # a segment this wide shows its count; a narrower one only in its title
NAME_CHARACTERS = 60


def lead_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log-in first, then leads only: anyone else gets 403 (whatever the method)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_lead(request.user):
            raise PermissionDenied(LEADS_ONLY)
        return view(request, *args, **kwargs)

    return wrapped


def _mistake_review(review_set_id: int) -> MistakeReview:
    return get_object_or_404(lead_mistake_reviews(), review_set_id=review_set_id)


@lead_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    return render(request, "mistakes/lead_list.html", {"listings": review_listings()})


@lead_required
def new_review(request: HttpRequest) -> HttpResponse:
    """The form that opens a mistake review (``open_mistake_review``); the service's refusals
    are shown on the fields they name."""
    form = NewMistakeReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review_set = open_mistake_review(
                name=data["name"],
                release=data["release"],
                classifiers=list(data["models"]),
                created_by=request.user,
                overlap=data["overlap"],
                order=data["order"],
                lease_minutes=data["lease_minutes"],
                description=data["description"],
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, field_messages in errors.items():
                form.add_error(field if field in form.fields else None, field_messages)
        else:
            mistakes = Mistake.objects.filter(review_set=review_set).count()
            messages.success(
                request,
                f"Mistake review “{review_set.name}” opened: {review_set.image_count:,} "
                f"image{'s' if review_set.image_count != 1 else ''} with {mistakes:,} "
                f"mistake{'s' if mistakes != 1 else ''} of {len(data['models'])} "
                f"model{'s' if len(data['models']) != 1 else ''} for the panel to judge.",
            )
            return redirect("mistakes:lead-summary", review_set_id=review_set.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "mistakes/lead_new.html", {"form": form}, status=status)


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARACTERS else name[: NAME_CHARACTERS - 1] + "…"


def _segments(
    model: ModelBreakdown, parts: Sequence[tuple[str, str, int]], scale: float, y: float
) -> list[dict]:
    """One stacked bar: a segment per (css key, label, count) with a count, left to right."""
    segments, x = [], CHART_LEFT
    for key, label, count in parts:
        if not count:
            continue
        width = count * scale
        segments.append(
            {
                "key": key,
                "x": round(x, 2),
                "y": y,
                "width": round(width, 2),
                "count": count,
                "text_x": round(x + width / 2, 2),
                "text_y": y + BAR_HEIGHT / 2 + 4.5,
                "labelled": width >= LABEL_MIN_WIDTH,
                "title": f"{model.model_name}: {label}, {count:,} of {model.total:,} mistakes",
            }
        )
        x += width
    return segments


def breakdown_chart(models: Sequence[ModelBreakdown]) -> dict:
    """The stacked bars of each model's mistakes, by category and by severity (the paper's
    figure), scaled to the model with the most mistakes so that the models compare."""
    most = max((model.total for model in models), default=0) or 1
    scale = CHART_SCALE / most
    blocks = []
    for row, model in enumerate(models):
        top = row * BLOCK
        categories = [
            (category.value, category.label, model.by_category()[category])
            for category in FailureCategory
        ]
        severities = [
            (severity.value, severity.label, model.by_severity()[severity]) for severity in Severity
        ]
        waiting = ("pending", "waiting for an outcome", model.pending)

        def told(parts: list[tuple[str, str, int]]) -> str:
            return ", ".join(f"{label} {count:,}" for _, label, count in parts if count) or "none"

        description = (
            f"{model.model_name}: {model.total:,} mistake{'s' if model.total != 1 else ''}; "
            f"by category: {told(categories)}; by severity: {told(severities)}; "
            f"{model.pending:,} waiting for an outcome."
        )
        blocks.append(
            {
                "name": model.model_name,
                "short_name": _short(model.model_name),
                "total": model.total,
                "pending": model.pending,
                "description": description,
                "name_y": top + 16,
                "rows": [
                    {
                        "label": "category",
                        "y": top + 24,
                        "text_y": top + 24 + BAR_HEIGHT / 2 + 4.5,
                        "width": round(model.total * scale, 2),
                        "segments": _segments(model, [*categories, waiting], scale, top + 24),
                    },
                    {
                        "label": "severity",
                        "y": top + 24 + BAR_HEIGHT + 6,
                        "text_y": top + 24 + BAR_HEIGHT + 6 + BAR_HEIGHT / 2 + 4.5,
                        "width": round(model.total * scale, 2),
                        "segments": _segments(
                            model, [*severities, waiting], scale, top + 24 + BAR_HEIGHT + 6
                        ),
                    },
                ],
                "total_x": round(CHART_LEFT + model.total * scale + 6, 2),
            }
        )
    return {
        "blocks": blocks,
        "left": CHART_LEFT,
        "width": CHART_LEFT + CHART_SCALE + CHART_RIGHT,
        "height": max(1, len(blocks)) * BLOCK,
    }


def next_version() -> str:
    """A version for the next release: the newest one's minor version plus one (1.0.0 when there
    is none yet), never one that is taken."""
    taken = set(Release.objects.values_list("version", flat=True))
    numbers = [tuple(map(int, v.split("."))) for v in taken if VERSION.fullmatch(v)]
    major, minor, _ = max(numbers, default=(1, -1, 0))
    minor += 1
    while f"{major}.{minor}.0" in taken:
        minor += 1
    return f"{major}.{minor}.0"


def _summary_params(request: HttpRequest) -> dict[str, str]:
    """The page's own query parameters (the ImageNet-M numbers, the page of major mistakes), to
    come back to the same view after a decision."""
    return {
        key: request.GET[key]
        for key in ("min_models", "limit", "major_page")
        if request.GET.get(key, "").isdigit()
    }


def _summary_page(
    request: HttpRequest,
    mistake_review: MistakeReview,
    *,
    failed: tuple[int, MistakeDecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    model_count = len(mistake_review.model_names)
    numbers_form = ImagenetMForm(request.GET, model_count=model_count)
    numbers_valid = numbers_form.is_valid()
    min_models, limit = (
        numbers_form.numbers() if numbers_valid else (DEFAULT_MIN_MODELS, DEFAULT_LIMIT)
    )
    summary: MistakeReviewSummary = mistake_review_summary(
        mistake_review=mistake_review, min_models=min_models, limit=limit
    )
    shown_disputed = summary.disputed[:DISPUTED_SHOWN]
    major_page = Paginator(summary.major, MAJOR_PAGE).get_page(request.GET.get("major_page"))
    pick = summary.pick if numbers_valid else []
    numbers = {row.number for row in (*shown_disputed, *major_page.object_list)}
    numbers |= {image.number for image in pick}
    with_thumbnail = pictured(numbers)
    names = class_names(
        {row.predicted for row in summary.rows}
        | {row.original for row in summary.rows}
        | {label for pair in summary.pairs for label in pair[:2]}
    )
    judgments = judgments_of([row.pk for row in shown_disputed])
    labels = {
        "category": dict(FailureCategory.choices),
        "severity": dict(Severity.choices),
    }

    def mistake_card(row) -> dict:
        return {
            "pk": row.pk,
            "number": row.number,
            "file_name": file_name_of(row.number),
            "has_thumbnail": row.number in with_thumbnail,
            "original": names.get(row.original, str(row.original)),
            "original_index": row.original,
            "predicted": names.get(row.predicted, str(row.predicted)),
            "predicted_index": row.predicted,
            "model_names": row.model_names,
        }

    disputed = []
    for row in shown_disputed:
        card = mistake_card(row)
        card["judgments"] = [
            {
                "expert": judgment.expert,
                "category": labels["category"].get(judgment.category, "—"),
                "severity": labels["severity"].get(judgment.severity, "—"),
                "note": judgment.note,
            }
            for judgment in judgments.get(row.pk, [])
        ]
        if failed is not None and failed[0] == row.pk:
            card["form"] = failed[1]
        else:
            card["form"] = MistakeDecisionForm(auto_id=f"decide-{row.pk}-%s")
        disputed.append(card)

    major = []
    for row in major_page.object_list:
        card = mistake_card(row)
        card["category"] = labels["category"][row.outcome.category]
        major.append(card)

    picked = [
        {
            "number": image.number,
            "file_name": file_name_of(image.number),
            "has_thumbnail": image.number in with_thumbnail,
            "model_names": sorted(image.model_names),
        }
        for image in pick
    ]
    review_set = mistake_review.review_set
    params = _summary_params(request)
    query = urlencode(params)
    major_params = {key: value for key, value in params.items() if key != "major_page"}
    return render(
        request,
        "mistakes/lead_summary.html",
        {
            "mistake_review": mistake_review,
            "review_set": review_set,
            "summary": summary,
            "progress": summary.progress,
            "chart": breakdown_chart(summary.models),
            "categories": [
                {"value": c.value, "label": c.label, "help": CATEGORY_HELP[c]}
                for c in FailureCategory
            ],
            "severities": Severity.choices,
            "table": [
                {
                    "name": model.model_name,
                    "by_category": [model.by_category()[c] for c in FailureCategory.values],
                    "by_severity": [model.by_severity()[s] for s in Severity.values],
                    "pending": model.pending,
                    "total": model.total,
                }
                for model in summary.models
            ],
            "pairs": [
                {
                    "original": names.get(original, str(original)),
                    "original_index": original,
                    "predicted": names.get(predicted, str(predicted)),
                    "predicted_index": predicted,
                    "count": count,
                }
                for original, predicted, count in summary.pairs
            ],
            "disputed": disputed,
            "disputed_more": max(len(summary.disputed) - DISPUTED_SHOWN, 0),
            "major": major,
            "major_page": major_page,
            "major_query": urlencode(major_params),
            "numbers_form": numbers_form,
            "numbers_valid": numbers_valid,
            "picked": picked,
            "min_models": min_models,
            "limit": limit,
            "cut": {
                "version": next_version(),
                "imagenet_m": " ".join(image["file_name"] for image in picked),
                "notes": (
                    f"ImageNet-M: the {len(picked):,} images picked in the mistake review "
                    f"“{review_set.name}” (on release {mistake_review.release.version}; missed "
                    f"by at least {min_models} of its {model_count} models, every mistake major"
                    f"{f', at most {limit}' if limit else ''})."
                ),
            },
            "query": query,
        },
        status=status if numbers_valid else 400,
    )


@lead_required
@require_GET
def summary(request: HttpRequest, review_set_id: int) -> HttpResponse:
    return _summary_page(request, _mistake_review(review_set_id))


@lead_required
@require_POST
def decide(request: HttpRequest, review_set_id: int, mistake_id: int) -> HttpResponse:
    """The lead's decision on a disputed mistake (``decide_mistake``), then back to the summary
    (POST-redirect-GET) with a message; a form left incomplete comes back with its errors."""
    mistake_review = _mistake_review(review_set_id)
    mistake = get_object_or_404(Mistake, pk=mistake_id, review_set_id=review_set_id)
    form = MistakeDecisionForm(request.POST, auto_id=f"decide-{mistake.pk}-%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            decide_mistake(
                mistake=mistake,
                category=data["category"],
                severity=data["severity"],
                note=data["note"],
                lead=request.user,
            )
        except ValidationError as exc:
            for field, field_messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, field_messages)
        else:
            predicted = class_names([mistake.predicted_id]).get(mistake.predicted_id, "")
            messages.success(
                request,
                f"Decided {file_name_of(mistake.image_id)}, predicted “{predicted}”: "
                f"{FailureCategory(data['category']).label}, "
                f"{Severity(data['severity']).label.lower()}.",
            )
            page = reverse("mistakes:lead-summary", args=[review_set_id])
            query = urlencode(_summary_params(request))
            return redirect(f"{page}{'?' + query if query else ''}#disputed")
    messages.error(request, "The decision was not saved: choose a category and a severity.")
    return _summary_page(request, mistake_review, failed=(mistake.pk, form), status=400)
