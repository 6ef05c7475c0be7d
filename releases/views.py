"""Release pages beyond the list: the diff of two releases, picking the two to compare, and the
lead's cut of a release from the consensus, previewed then confirmed (the list itself is
``release:list``)."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from releases import selectors
from releases.exports import EXPORT_FORMATS, export_response
from releases.models import Release
from releases.services.cut import (
    LISTED,
    CutNotConfirmed,
    CutPreview,
    cut_confirmed_release,
    preview_cut,
)
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
        help_text="File names, one a line or separated by spaces: at least one, since the TFDS "
        "builder fails on an empty imagenet_m split.",
    )

    # The two steps of a cut: "preview" (what it would freeze; the default), "confirm" (cut as
    # previewed), "edit" (back to the form with the input kept).
    step = forms.ChoiceField(
        choices=[("preview", "preview"), ("confirm", "confirm"), ("edit", "edit")],
        required=False,
    )
    fingerprint = forms.CharField(required=False)  # what the preview showed, signed
    acknowledged = forms.BooleanField(required=False)

    def clean_imagenet_m(self) -> list[str]:
        return self.cleaned_data["imagenet_m"].split()

    def clean_step(self) -> str:
        return self.cleaned_data["step"] or "preview"


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


# Cutting a second time the release that the same lead cut this long ago is a form sent twice.
DOUBLE_SUBMIT_SECONDS = 600


def _cut_preview_page(
    request: HttpRequest, preview: CutPreview, data: dict, notice: str = "", status: int = 200
) -> HttpResponse:
    """What the cut would store and freeze badly, and the confirmation (releases.services.cut)."""
    shown = preview.warnings

    def listed(warned: list) -> dict:
        return {"images": warned[:LISTED], "more": max(len(warned) - LISTED, 0)}

    return render(
        request,
        "releases/cut_preview.html",
        {
            "preview": preview,
            "warnings": shown,
            "disagreements": listed(shown.disagreements),
            "flags": listed(shown.undecided_flags),
            "under_overlap": listed(shown.under_overlap),
            "notes": data["notes"],
            "imagenet_m": " ".join(data["imagenet_m"]),  # one hidden field; the form splits it
            "notice": notice,
        },
        status=status,
    )


def _cut_twice(request: HttpRequest, version: str) -> bool:
    """Whether ``version`` is the release this lead cut a moment ago (a confirmation sent twice)."""
    return Release.objects.filter(
        version=version.strip(),
        source="consensus",
        created_by=request.user,
        created_at__gte=timezone.now() - timedelta(seconds=DOUBLE_SUBMIT_SECONDS),
    ).exists()


@login_required
@require_POST
def cut(request: HttpRequest) -> HttpResponse:
    """Cut a release from the consensus (leads only), in two steps: the form first shows what
    the cut would freeze badly (and refuses a cut the TFDS builder could not build); the cut
    happens only on the confirmation, re-checked then."""
    if not is_lead(request.user):
        raise PermissionDenied("Only panel leads cut releases.")
    form = CutReleaseForm(request.POST)
    if not form.is_valid():
        return _releases_page(request, form, status=400)
    data = form.cleaned_data
    if data["step"] == "edit":
        return _releases_page(request, form)  # the bound form keeps the input
    try:
        if data["step"] == "preview":
            preview = preview_cut(version=data["version"], imagenet_m=data["imagenet_m"])
            if preview.refusals:
                raise ValidationError(preview.refusals)
            return _cut_preview_page(request, preview, data)
        release = cut_confirmed_release(
            version=data["version"],
            notes=data["notes"],
            imagenet_m=data["imagenet_m"],
            created_by=request.user,
            fingerprint=data["fingerprint"],
            acknowledged=data["acknowledged"],
        )
    except CutNotConfirmed as exc:
        return _cut_preview_page(request, exc.preview, data, notice=exc.messages[0], status=409)
    except ValidationError as exc:
        if data["step"] == "confirm" and _cut_twice(request, data["version"]):
            messages.info(
                request,
                f"Release {data['version']} was cut once; the confirmation was sent again and "
                "nothing more was stored.",
            )
            return redirect("release:list")
        for message in exc.messages:
            form.add_error(None, message)
        return _releases_page(request, form, status=400)
    messages.success(
        request,
        f"Release {release.version} cut: {release.image_count:,} images, "
        f"{release.problematic_count:,} problematic, {release.imagenet_m_count:,} in ImageNet-M, "
        f"sha256 {release.sha256[:12]}…",
    )
    return redirect("release:list")


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
    """What changed from release ``before`` to ``after``: the count of every section at the top,
    then a page of each (``releases.selectors.release_diff_page``)."""
    releases = Release.objects.without_content()
    old = get_object_or_404(releases, version=before)
    new = get_object_or_404(releases, version=after)
    for release in (old, new):
        selectors.check_release_readable(viewer=request.user, release=release)
    shown = selectors.release_diff_page(before=old, after=new, pages=request.GET)
    return render(
        request,
        "releases/release_diff.html",
        {
            "before": old,
            "after": new,
            "releases": selectors.readable_releases(viewer=request.user),
            "shown": shown,
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
