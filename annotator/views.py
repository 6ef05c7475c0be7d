"""Browse pages of the catalogue and the log-in protected picture files."""

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from annotator import selectors
from annotator.forms import GROUP_CHOICES, ImageFilterForm
from annotator.models import ImageClass, ValImage
from annotator.selectors import ImageFilters

IMAGES_PER_PAGE = 48
CLASSES_PER_PAGE = 100


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_GET
def image_list(request: HttpRequest) -> HttpResponse:
    form = ImageFilterForm(request.GET)
    filters = form.to_filters() if form.is_valid() else ImageFilters()
    page = Paginator(selectors.image_list(filters=filters), IMAGES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "annotator/image_list.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            "class_options": ImageClass.objects.only("index", "wnid", "names"),
        },
    )


@login_required
@require_GET
def image_detail(request: HttpRequest, number: int) -> HttpResponse:
    try:
        image = selectors.image_detail(number=number)
    except ValImage.DoesNotExist as exc:
        raise Http404(f"No validation image {number}") from exc
    return render(
        request,
        "annotator/image_detail.html",
        {"image": image, "candidates": image.candidates.all()},
    )


@login_required
@require_GET
def class_list(request: HttpRequest) -> HttpResponse:
    group = request.GET.get("group", "")
    if group not in dict(GROUP_CHOICES):
        group = ""
    search = request.GET.get("q", "")
    page = Paginator(selectors.class_list(group=group, search=search), CLASSES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "annotator/class_list.html",
        {
            "page": page,
            "group": group,
            "groups": GROUP_CHOICES,
            "search": search,
            "query": _query_without_page(request),
        },
    )


@login_required
@require_GET
def class_detail(request: HttpRequest, index: int) -> HttpResponse:
    image_class = get_object_or_404(ImageClass, index=index)
    images = Paginator(
        selectors.image_list(filters=ImageFilters(label=image_class), pictures_first=True),
        IMAGES_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "annotator/class_detail.html",
        {
            "image_class": image_class,
            "similar": selectors.similar_classes(image_class=image_class),
            "page": images,
            "query": "",
        },
    )


@login_required
@require_GET
def classifier_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "annotator/classifier_list.html",
        {"classifiers": selectors.classifier_list()},
    )


PICTURE_KINDS = {"original": "picture", "thumbnail": "thumbnail", "display": "display"}


@login_required
@require_GET
def picture(request: HttpRequest, number: int, kind: str) -> FileResponse:
    """Serve a picture file to logged-in users only; "display" falls back to the original."""
    if kind not in PICTURE_KINDS:
        raise Http404("No such picture kind")
    image = get_object_or_404(
        ValImage.objects.only("picture", "thumbnail", "display"), number=number
    )
    file = getattr(image, PICTURE_KINDS[kind]) or (image.picture if kind == "display" else None)
    if not file:
        raise Http404(f"{image.file_name} has no {kind} picture")
    try:
        handle = default_storage.open(file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404(f"{file.name} is missing from storage") from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
