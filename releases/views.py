"""Release pages beyond the list: the diff of two releases, picking the two to compare, and the
lead's form to cut a release from the consensus (the list itself is ``release:list``)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from releases import selectors
from releases.exports import EXPORT_FORMATS, export_response
from releases.models import Release
from releases.services.imagenet_m import cut_release_with_imagenet_m
from releases.services.releases import diff_releases
from releases.versions import VERSION_MAX_LENGTH, is_version, validate_version
from reviews.roles import is_lead


class CutReleaseForm(forms.Form):
    version = forms.CharField(
        max_length=VERSION_MAX_LENGTH,
        validators=[validate_version],
        help_text="MAJOR.MINOR.PATCH in ASCII digits, e.g. 4.0.0.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    imagenet_m = forms.CharField(
        label="ImageNet-M",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="File names, one a line or separated by spaces (optional).",
    )

    def clean_imagenet_m(self) -> list[str]:
        return self.cleaned_data["imagenet_m"].split()


def _releases_page(
    request: HttpRequest, cut_form: CutReleaseForm | None = None, status: int = 200
) -> HttpResponse:
    """The releases the user may read, with their downloads (and the cut form, on a cut)."""
    listing = selectors.release_list(viewer=request.user)
    return render(
        request,
        "releases/releases.html",
        {
            "releases": listing.readable,
            "withheld": listing.withheld,
            "formats": list(EXPORT_FORMATS),
            "cut_form": cut_form,
        },
        status=status,
    )


@login_required
@require_POST
def cut(request: HttpRequest) -> HttpResponse:
    """Freeze the current consensus as a new release (leads only)."""
    if not is_lead(request.user):
        raise PermissionDenied("Only panel leads cut releases.")
    form = CutReleaseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            release = cut_release_with_imagenet_m(
                version=data["version"],
                notes=data["notes"],
                imagenet_m=data["imagenet_m"],
                created_by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                f"Release {release.version} cut: {release.image_count:,} images, "
                f"{release.problematic_count:,} problematic, sha256 {release.sha256[:12]}…",
            )
            return redirect("release:list")
    return _releases_page(request, form, status=400)


@login_required
@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """The two-select form on the release list lands here and goes on to the diff page."""
    before, after = request.GET.get("before", ""), request.GET.get("after", "")
    if not before or not after:
        messages.error(request, "Pick two releases to compare.")
        return redirect("release:list")
    if not (is_version(before, strict=False) and is_version(after, strict=False)):
        raise Http404("No such release.")
    return redirect("release:diff", before=before, after=after)


@login_required
def diff(request: HttpRequest, before: str, after: str) -> HttpResponse:
    """Per image, the labels that moved from release ``before`` to ``after``; problematic and
    ImageNet-M changes; changed labels per class."""
    old = get_object_or_404(Release, version=before)
    new = get_object_or_404(Release, version=after)
    for release in (old, new):
        selectors.check_release_readable(viewer=request.user, release=release)
    shown = selectors.release_diff_page(
        diff=diff_releases(before=old, after=new), page=request.GET.get("page")
    )
    return render(
        request,
        "releases/release_diff.html",
        {
            "before": old,
            "after": new,
            "releases": selectors.readable_releases(viewer=request.user),
            "diff": shown.diff,
            "changed_labels": shown.changed_labels,
            "changed_images": shown.changed_images,
            "page": shown.page,
            "images": shown.images,
            "per_class": shown.per_class,
            "class_count": shown.class_count,
            "flag_changes": shown.flag_changes,
        },
    )


@login_required
def releases(request: HttpRequest) -> HttpResponse:
    """The releases the user may read (leads and researchers: all; experts: see
    ``releases.selectors.RELEASE_WITHHELD``), with their downloads."""
    return _releases_page(request)


@login_required
def release_download(
    request: HttpRequest, version: str, export_format: str
) -> StreamingHttpResponse:
    """A release export, streamed in chunks rather than built whole for the response."""
    if export_format not in EXPORT_FORMATS:
        raise Http404(f"No export format {export_format}")
    release = get_object_or_404(Release, version=version)
    selectors.check_release_readable(viewer=request.user, release=release)
    return export_response(release=release, export_format=export_format)
