"""The lead's adjudication page: one image at a time from the queue; the page loads and saves
everything through the adjudication API (static/js/reviews/adjudication.js)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reviews.roles import is_lead
from reviews.services.adjudication import adjudication_queue


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    if not is_lead(request.user):
        raise PermissionDenied("Only panel leads adjudicate.")
    pending = adjudication_queue()
    return render(
        request,
        "reviews/adjudication.html",
        {"queue": pending, "waiting": len(pending.images)},
    )
