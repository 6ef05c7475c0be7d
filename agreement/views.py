"""The panel's agreement: a page with server-drawn SVG plots, and the same figures in the API."""

from __future__ import annotations

import math

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from agreement.selectors import SCOPES, UNCLEAR_TREATMENTS, PanelAgreement, panel_agreement
from agreement.statistics import PANEL_STATISTICS
from reviews.models import ReviewSet
from reviews.roles import is_expert

LOWEST_CLASSES = 15

# Geometry of the plots, in SVG user units (the SVGs scale with the page).
BAR_ROW, BAR_LEFT, BAR_WIDTH, BAR_RIGHT = 30, 110, 300, 60
HIST_LEFT, HIST_TOP, HIST_WIDTH, HIST_HEIGHT, HIST_BOTTOM = 40, 12, 400, 150, 34


def _is_number(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _expert_bars(result: PanelAgreement) -> dict:
    """Horizontal bars of each expert's agreement with the consensus, 0 to 100 %."""
    bars = []
    for row, expert in enumerate(result.experts):
        share = expert.with_consensus if _is_number(expert.with_consensus) else None
        bars.append(
            {
                "name": expert.username,
                "y": row * BAR_ROW + 6,
                "text_y": row * BAR_ROW + 21,
                "width": round(BAR_WIDTH * share, 1) if share is not None else 0,
                "label": f"{100 * share:.1f} %" if share is not None else "no items",
                "value_x": BAR_LEFT + (BAR_WIDTH * share if share is not None else 0) + 6,
                "compared": expert.compared,
            }
        )
    return {
        "bars": bars,
        "left": BAR_LEFT,
        "full": BAR_WIDTH,
        "width": BAR_LEFT + BAR_WIDTH + BAR_RIGHT,
        "height": max(1, len(bars)) * BAR_ROW + 24,
        "axis_y": max(1, len(bars)) * BAR_ROW + 6,
        "ticks": [
            {"x": BAR_LEFT + BAR_WIDTH * share, "label": f"{share:.0%}"}
            for share in (0, 0.25, 0.5, 0.75, 1)
        ],
    }


def _figure(value: float | None) -> str:
    return f"{value:.3f}" if _is_number(value) else "—"


def _heat(value: float) -> str:
    """A cell's colour class (``heat-p0``..``heat-p9`` for positive kappa in the accent blue,
    ``heat-n0``..``heat-n9`` for negative in the error red), stronger with the magnitude; the
    stylesheet gives the strongest ones white text. Classes, not style attributes, so that the
    Content-Security-Policy can forbid inline styles."""
    if not _is_number(value):
        return ""
    step = min(9, int(abs(value) * 10))
    return f"heat-{'p' if value >= 0 else 'n'}{step}"


def _pairwise_table(result: PanelAgreement) -> list[dict]:
    if not result.pairwise:  # an expert's view (blind review)
        return []
    return [
        {
            "name": expert.username,
            "cells": [
                {
                    "text": _figure(value),
                    "style": _heat(value),
                    "other": other.username,
                    "self": i == j,
                }
                for j, (other, value) in enumerate(zip(result.experts, row, strict=True))
            ],
        }
        for i, (expert, row) in enumerate(zip(result.experts, result.pairwise, strict=True))
    ]


def _alpha_histogram(result: PanelAgreement) -> dict:
    bins = result.alpha_histogram
    most = max((count for _, _, count in bins), default=0) or 1
    step = HIST_WIDTH / len(bins)
    bars = []
    for position, (low, high, count) in enumerate(bins):
        height = HIST_HEIGHT * count / most
        bars.append(
            {
                "x": round(HIST_LEFT + position * step + 1, 1),
                "y": round(HIST_TOP + HIST_HEIGHT - height, 1),
                "width": round(step - 2, 1),
                "height": round(height, 1),
                "title": f"alpha {low:+.1f} to {high:+.1f}: {count} "
                f"class{'es' if count != 1 else ''}",
            }
        )
    baseline = HIST_TOP + HIST_HEIGHT
    return {
        "bars": bars,
        "width": HIST_LEFT + HIST_WIDTH + 16,
        "height": HIST_TOP + HIST_HEIGHT + HIST_BOTTOM,
        "left": HIST_LEFT,
        "right": HIST_LEFT + HIST_WIDTH,
        "top": HIST_TOP,
        "baseline": baseline,
        "most": most,
        "x_ticks": [
            {"x": HIST_LEFT + HIST_WIDTH * (value + 1) / 2, "label": f"{value:g}"}
            for value in (-1, -0.5, 0, 0.5, 1)
        ],
        "label_y": baseline + 16,
        "defined": sum(count for _, _, count in bins),
    }


@login_required
def agreement_page(request: HttpRequest) -> HttpResponse:
    """Agreement overall, per class and between experts, with plots drawn on the server."""
    if not is_expert(request.user):
        raise PermissionDenied("Only the panel sees its agreement.")
    review_sets = list(ReviewSet.objects.order_by("-is_active", "-created_at"))
    review_set = None
    if request.GET.get("review_set"):
        try:
            review_set = get_object_or_404(ReviewSet, pk=int(request.GET["review_set"]))
        except ValueError:
            review_set = None
    unclear = request.GET.get("unclear", "keep")
    if unclear not in UNCLEAR_TREATMENTS:
        unclear = "keep"
    result = panel_agreement(review_set=review_set, unclear=unclear, viewer=request.user)
    return render(
        request,
        "agreement/agreement.html",
        {
            "review_sets": review_sets,
            "review_set": review_set,
            "unclear": unclear,
            "treatments": UNCLEAR_TREATMENTS,
            "result": result,
            "scope_rule": SCOPES[result.scope],
            "figures": [
                (statistic.title, _figure(result.figures[statistic.key]))
                for statistic in PANEL_STATISTICS
            ],
            "bars": _expert_bars(result),
            "pairwise": _pairwise_table(result),
            "histogram": _alpha_histogram(result),
            "lowest": result.lowest_alpha(LOWEST_CLASSES),
        },
    )
