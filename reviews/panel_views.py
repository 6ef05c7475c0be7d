"""Pages for the panel as a whole: progress for everyone, new review sets for leads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from annotator import selectors as catalogue
from reviews import selectors
from reviews.forms import ReviewSetForm
from reviews.models import Release, ReviewSet
from reviews.roles import is_expert, is_lead
from reviews.services.releases import EXPORT_FORMATS, iter_export
from reviews.services.review_sets import create_review_set


@login_required
def progress(request: HttpRequest, review_set_id: int | None = None) -> HttpResponse:
    """Reviewed against required, per expert with their pace, per class and overall."""
    if not is_expert(request.user):
        raise PermissionDenied("Only the panel sees its progress.")
    review_sets = list(ReviewSet.objects.order_by("-is_active", "-created_at"))
    if review_set_id is not None:
        review_set = get_object_or_404(ReviewSet, pk=review_set_id)
    else:
        review_set = review_sets[0] if review_sets else None
    context = {
        "review_sets": review_sets,
        "review_set": review_set,
        "is_lead": is_lead(request.user),
    }
    if review_set is not None:
        context["progress"] = selectors.review_set_progress(review_set=review_set)
    return render(request, "reviews/progress.html", context)


@login_required
def new_review_set(request: HttpRequest) -> HttpResponse:
    if not is_lead(request.user):
        raise PermissionDenied("Only panel leads define review sets.")
    form = ReviewSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review_set = create_review_set(
                name=data["name"],
                description=data["description"],
                images=catalogue.image_list(filters=form.image_filters()),
                overlap=data["overlap"],
                order=data["order"],
                lease_minutes=data["lease_minutes"],
                created_by=request.user,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, messages_of_field in errors.items():
                form.add_error(field if field in form.fields else None, messages_of_field)
        else:
            messages.success(
                request,
                f"Review set “{review_set.name}” created with {review_set.image_count:,} images.",
            )
            return redirect("panel:progress-of", review_set_id=review_set.pk)
    return render(request, "reviews/review_set_form.html", {"form": form})


EXPORT_FILES = {
    "tfds": ("application/json", "imagenet2012_multilabel-{version}.json"),
    "jsonl": ("application/x-ndjson", "imagenet2012_multilabel-{version}.jsonl"),
    "csv": ("text/csv", "imagenet2012_multilabel-{version}.csv"),
}


@login_required
def releases(request: HttpRequest) -> HttpResponse:
    """The releases the user may read (leads and researchers: all; experts: see
    ``reviews.selectors.RELEASE_WITHHELD``), with their downloads."""
    listing = selectors.release_list(viewer=request.user)
    return render(
        request,
        "reviews/releases.html",
        {
            "releases": listing.readable,
            "withheld": listing.withheld,
            "formats": EXPORT_FORMATS,
        },
    )


@login_required
def release_download(
    request: HttpRequest, version: str, export_format: str
) -> StreamingHttpResponse:
    """A release export, streamed in chunks rather than built whole for the response."""
    if export_format not in EXPORT_FILES:
        raise Http404(f"No export format {export_format}")
    release = get_object_or_404(Release, version=version)
    selectors.check_release_readable(viewer=request.user, release=release)
    content_type, file_name = EXPORT_FILES[export_format]
    response = StreamingHttpResponse(
        iter_export(release=release, export_format=export_format), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{file_name.format(version=version)}"'
    return response
