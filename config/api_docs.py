"""The API's docs, Swagger UI and ReDoc from drf-spectacular-sidecar, under the site's
Content-Security-Policy with the least each needs: no inline script for either (Swagger UI's
start-up script is served as a file of its own), inline styles (both bring a ``<style>`` block
and build more at run time) and ``data:`` pictures (their stylesheets' icons). Nothing else of
the site's policy is relaxed, and these pages hold no data."""

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

DOCS_POLICY = {"style-src": ["'unsafe-inline'"], "img-src": ["data:"]}


@method_decorator(csp_update(DOCS_POLICY), name="dispatch")
class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI; its start-up script is ``?script`` of the same address, so no inline script."""


@method_decorator(csp_update({**DOCS_POLICY, "worker-src": ["blob:"]}), name="dispatch")
class RedocView(SpectacularRedocView):
    """ReDoc, which runs its search in a worker it makes from a ``blob:``. The docs load nothing
    from outside: the page leaves out the web fonts that drf-spectacular's asks of Google (ReDoc
    falls back to the system's fonts), and static/js/redoc_offline.js keeps ReDoc from asking
    cdn.redoc.ly for its credit logo (which the policy would refuse anyway); ReDoc then leaves
    the logo out."""

    template_name = "annotator/redoc.html"
