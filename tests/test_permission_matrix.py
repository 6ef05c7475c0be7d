"""Who may open what: one table of every URL pattern of the site (pages, API, admin) against the
four kinds of visitor, anonymous, expert, lead and admin (superuser). A new URL pattern fails
``test_every_url_pattern_is_in_the_table`` until its row is added.

Outcomes: a status code, or LOGIN (302 to the log-in page) or ADMIN_LOGIN (302 to the admin's).
Every pattern is requested with GET (405 where only POST, PUT or DELETE exist); the unsafe
methods are checked for refusal (anonymous and the wrong role) and that nothing changed."""

import json
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token

from annotator.models import Candidate, Classifier, ImageClass, Predictions, ValImage
from mistakes.models import MistakeDecision, MistakeJudgment, MistakeReview
from mistakes.services.mistake_reviews import open_mistake_review
from releases.models import Release, ReleaseImage
from reviews.models import Adjudication, FlagDecision, ReviewEvent, Slot, Verdict
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim_next, save_verdicts, submit_review
from scoring.models import BlindTask, HumanLabel, ModelScore
from tests.factories import attach_picture, make_candidates, make_user
from tests.scoring.fixtures import (
    answer,
    first_image_of_each_class,
    make_model,
    make_release,
)

LOGIN = "login"
BLIND_TOKEN = "the-experts-blind-task-token"  # an open blind task of the expert's
ADMIN_LOGIN = "admin-login"
ROLES = ("anonymous", "expert", "lead", "admin")

# Patterns left out of the table, each with its reason.
EXCLUDED = {
    "admin/(?P<url>.*)$": "the admin's catch-all: any unknown admin URL, redirects or 404s",
}


def everyone(outcome):
    return dict.fromkeys(ROLES, outcome)


def page(outcome=200, *, expert=None, lead=None, admin=None):
    """A log-in protected page: anonymous visitors are sent to log in."""
    return {
        "anonymous": LOGIN,
        "expert": outcome if expert is None else expert,
        "lead": outcome if lead is None else lead,
        "admin": outcome if admin is None else admin,
    }


def api(outcome=200, *, expert=None, lead=None, admin=None):
    """An API endpoint: anonymous clients get 403 (session authentication answers no challenge)."""
    return {
        "anonymous": 403,
        "expert": outcome if expert is None else expert,
        "lead": outcome if lead is None else lead,
        "admin": outcome if admin is None else admin,
    }


def leads_only_page(outcome=200):
    return page(outcome, expert=403)


def leads_only_api(outcome=200):
    return api(outcome, expert=403)


# route (as the resolver spells it) -> (sample kwargs, expected outcome per role)
TABLE = {
    # the catalogue pages
    # each user's landing page (experts /review/, others the leaderboard); anonymous: log in
    "": ({}, page(302)),
    "favicon.ico": ({}, everyone(302)),  # to the static SVG icon
    "images/": ({}, page()),
    "images/<int:number>/": ({"number": "{number}"}, page()),
    "images/<int:number>/<str:kind>.jpg": ({"number": "{number}", "kind": "original"}, page()),
    "classes/": ({}, page()),
    "classes/<int:index>/": ({"index": 65}, page()),
    "models/": ({}, page()),
    # accounts
    "accounts/login/": ({}, everyone(200)),
    "accounts/logout/": ({}, everyone(405)),  # POST only
    "accounts/password/": ({}, page()),
    "accounts/password/done/": ({}, page()),
    # the catalogue API
    "api/": ({}, api()),
    "api/<drf_format_suffix:format>": ({"format": ".json"}, api()),
    "api/^classes/$": ({}, api()),
    "api/^classes\\.(?P<format>[a-z0-9]+)/?$": ({"format": "json"}, api()),
    "api/^classes/(?P<index>[^/.]+)/$": ({"index": 65}, api()),
    "api/^classes/(?P<index>[^/.]+)\\.(?P<format>[a-z0-9]+)/?$": (
        {"index": 65, "format": "json"},
        api(),
    ),
    "api/^images/$": ({}, api()),
    "api/^images\\.(?P<format>[a-z0-9]+)/?$": ({"format": "json"}, api()),
    "api/^images/(?P<number>[^/.]+)/$": ({"number": "{number}"}, api()),
    "api/^images/(?P<number>[^/.]+)\\.(?P<format>[a-z0-9]+)/?$": (
        {"number": "{number}", "format": "json"},
        api(),
    ),
    "api/^candidates/$": ({}, api()),
    "api/^candidates\\.(?P<format>[a-z0-9]+)/?$": ({"format": "json"}, api()),
    "api/^candidates/(?P<pk>[^/.]+)/$": ({"pk": "{candidate}"}, api()),
    "api/^candidates/(?P<pk>[^/.]+)\\.(?P<format>[a-z0-9]+)/?$": (
        {"pk": "{candidate}", "format": "json"},
        api(),
    ),
    "api/^models/$": ({}, api()),
    "api/^models\\.(?P<format>[a-z0-9]+)/?$": ({"format": "json"}, api()),
    "api/^models/(?P<name>[^/]+)/$": ({"name": "resnet"}, api()),
    "api/^models/(?P<name>[^/]+)\\.(?P<format>[a-z0-9]+)/?$": (
        {"name": "resnet", "format": "json"},
        api(),
    ),
    # the review workflow API
    "api/auth/token/": ({}, everyone(405)),  # POST only, open to anyone (throttled)
    "api/auth/logout/": ({}, api(405)),  # POST only: deletes the caller's token
    "api/review-sets/": ({}, api()),
    "api/review-sets/<int:pk>/progress/": ({"pk": "{review_set}"}, api()),
    "api/review-sets/<int:pk>/claim/": ({"pk": "{review_set}"}, api(405)),
    "api/reviews/": ({}, api()),
    # The expert's own review; a lead sees any review; others' reviews are 404 (blind rule).
    "api/reviews/<int:pk>/": ({"pk": "{review}"}, api()),
    "api/reviews/<int:pk>/verdicts/": ({"pk": "{review}"}, api(405)),
    "api/reviews/<int:pk>/labels/": ({"pk": "{review}"}, api(405)),
    "api/reviews/<int:pk>/labels/<int:label>/": ({"pk": "{review}", "label": 65}, api(405)),
    "api/reviews/<int:pk>/flags/": ({"pk": "{review}"}, api(405)),
    "api/reviews/<int:pk>/comment/": ({"pk": "{review}"}, api(405)),
    "api/reviews/<int:pk>/renew/": ({"pk": "{review}"}, api(405)),
    "api/reviews/<int:pk>/submit/": ({"pk": "{review}"}, api(405)),
    "api/reviews/<int:pk>/skip/": ({"pk": "{review}"}, api(405)),
    "api/reviews/<int:pk>/history/": ({"pk": "{review}"}, api()),
    "api/images/<int:number>/reviews/": ({"number": "{number}"}, api()),
    # the expert's mistake review: the page, claiming, one item (the expert's own review; a
    # lead reads any, changes none) and its changes
    "mistakes/<int:review_set_id>/review/": ({"review_set_id": "{mistake_review}"}, page()),
    "api/mistake-reviews/<int:pk>/claim/": ({"pk": "{mistake_review}"}, api(405)),
    "api/mistake-reviews/items/<int:review_id>/": ({"review_id": "{mistake_item}"}, api()),
    "api/mistake-reviews/items/<int:review_id>/judgments/": (
        {"review_id": "{mistake_item}"},
        api(405),
    ),
    "api/mistake-reviews/items/<int:review_id>/submit/": (
        {"review_id": "{mistake_item}"},
        api(405),
    ),
    "api/mistake-reviews/items/<int:review_id>/skip/": (
        {"review_id": "{mistake_item}"},
        api(405),
    ),
    # the lead's mistake review pages and API (experts: 403)
    "mistakes/": ({}, leads_only_page()),
    "mistakes/new/": ({}, leads_only_page()),
    "mistakes/<int:review_set_id>/": ({"review_set_id": "{mistake_review}"}, leads_only_page()),
    "mistakes/<int:review_set_id>/mistakes/<int:mistake_id>/decision/": (
        {"review_set_id": "{mistake_review}", "mistake_id": "{mistake}"},
        leads_only_page(405),  # POST only
    ),
    "api/mistake-reviews/": ({}, leads_only_api()),
    "api/mistake-reviews/<int:pk>/summary/": ({"pk": "{mistake_review}"}, leads_only_api()),
    "api/mistake-reviews/mistakes/<int:pk>/decision/": ({"pk": "{mistake}"}, leads_only_api(405)),
    # review pages
    "review/": ({}, page()),
    "review/sets/<int:review_set_id>/": ({"review_set_id": "{review_set}"}, page()),
    # Reopening: the expert's own review only, not even a lead's or an admin's.
    "review/reviews/<int:review_id>/": ({"review_id": "{review}"}, page(lead=404, admin=404)),
    "progress/": ({}, page()),
    "progress/<int:review_set_id>/": ({"review_set_id": "{review_set}"}, page()),
    "review-sets/new/": ({}, leads_only_page()),
    "releases/": ({}, page()),
    "releases/<version:version>/<str:export_format>/": (
        {"version": "1.0.0", "export_format": "csv"},
        page(),
    ),
    # adjudication
    "adjudication/": ({}, leads_only_page()),
    "api/adjudication/queue/": ({}, leads_only_api(204)),  # nothing disputed
    "api/adjudication/queue/images/": ({}, leads_only_api()),
    "api/adjudication/images/<int:number>/": ({"number": "{number}"}, leads_only_api()),
    "api/adjudication/images/<int:number>/labels/<int:label>/": (
        {"number": "{number}", "label": 65},
        leads_only_api(405),
    ),
    "api/adjudication/images/<int:number>/flag/": ({"number": "{number}"}, leads_only_api(405)),
    # agreement
    "agreement/": ({}, page()),
    "api/agreement/": ({}, api()),
    # releases
    "releases/compare/": ({}, page(302)),  # without a choice, back to the releases
    "releases/cut/": ({}, page(405)),  # POST only
    "releases/<version:before>/diff/<version:after>/": (
        {"before": "1.0.0", "after": "2.0.0"},
        page(),
    ),
    "api/releases/": ({}, api()),
    "api/releases/<version:version>/": ({"version": "1.0.0"}, api()),
    "api/releases/<version:version>/export/": ({"version": "1.0.0"}, api()),
    "api/releases/<version:before>/diff/<version:after>/": (
        {"before": "1.0.0", "after": "2.0.0"},
        api(),
    ),
    "api/releases/<version:version>/imagenet-m/": (
        {"version": "1.0.0", "?": "models=resnet&k=1"},
        api(),
    ),
    # scores: any logged-in user, researchers need not be panel members
    "leaderboard/": ({}, page(302)),  # to the latest release's leaderboard
    "leaderboard/<version:version>/": ({"version": "1.0.0"}, page()),
    "leaderboard/<version:version>/evaluate/": ({"version": "1.0.0"}, page(405)),
    "leaderboard/<version:version>/models/<quoted:name>/": (
        {"version": "1.0.0", "name": "resnet"},
        page(),
    ),
    "leaderboard/<version:version>/people/<quoted:username>/": (
        {"version": "1.0.0", "username": "ada"},
        page(),
    ),
    "api/releases/<version:version>/scores/": ({"version": "1.0.0"}, api()),
    "api/releases/<version:version>/scores/models/<quoted:name>/": (
        {"version": "1.0.0", "name": "resnet"},
        api(),
    ),
    "api/releases/<version:version>/scores/people/<quoted:username>/": (
        {"version": "1.0.0", "username": "ada"},
        api(),
    ),
    "api/releases/<version:version>/evaluate/": ({"version": "1.0.0"}, api(405)),
    # blind labelling
    "humans/": ({}, page()),
    "humans/label/": ({}, page()),
    "api/humans/next/": ({}, api()),
    "api/humans/skip/": ({}, api(405)),
    "api/humans/labels/": ({}, api()),
    # a blind task's picture: only to the person it was issued to, 404 to anyone else
    "humans/pictures/<slug:token>/<str:kind>.jpg": (
        {"token": BLIND_TOKEN, "kind": "display"},
        page(expert=200, lead=404, admin=404),
    ),
    # the API's description and its docs: public, they hold no data
    "api/schema/": ({}, everyone(200)),
    "api/docs/": ({}, everyone(200)),
    "api/redoc/": ({}, everyone(200)),
    # the admin's own pages: staff only; a lead is staff with no model permissions
    "admin/": ({}, {"anonymous": ADMIN_LOGIN, "expert": ADMIN_LOGIN, "lead": 200, "admin": 200}),
    "admin/login/": ({}, {"anonymous": 200, "expert": 200, "lead": 302, "admin": 302}),
    "admin/logout/": ({}, {"anonymous": 302, "expert": 302, "lead": 405, "admin": 405}),
    "admin/password_change/": (
        {},
        {"anonymous": ADMIN_LOGIN, "expert": ADMIN_LOGIN, "lead": 200, "admin": 200},
    ),
    "admin/password_change/done/": (
        {},
        {"anonymous": ADMIN_LOGIN, "expert": ADMIN_LOGIN, "lead": 200, "admin": 200},
    ),
    "admin/autocomplete/": (
        {},
        {"anonymous": ADMIN_LOGIN, "expert": ADMIN_LOGIN, "lead": 403, "admin": 403},
    ),
    "admin/jsi18n/": (
        {},
        {"anonymous": ADMIN_LOGIN, "expert": ADMIN_LOGIN, "lead": 200, "admin": 200},
    ),
    "admin/r/<path:content_type_id>/<path:object_id>/": (
        {"content_type_id": "{user_type}", "object_id": "{expert}"},
        {"anonymous": ADMIN_LOGIN, "expert": ADMIN_LOGIN, "lead": 404, "admin": 404},
    ),
}

# The admin's model pages: what the admin (superuser) may do with each registered model beyond
# viewing it; what a lead may do (LEAD_ADMIN, reviews.roles.LEAD_ADMIN_PERMISSIONS), nothing on the
# models it does not name; experts and anonymous visitors are sent to log in.
ADMIN_MODELS = {
    "auth.group": {"add", "change", "delete"},
    "auth.user": {"add", "change", "delete"},
    "authtoken.tokenproxy": {"add", "change", "delete"},
    "annotator.imageclass": {"change"},
    "annotator.valimage": {"change", "delete"},
    "annotator.classifier": {"add", "change", "delete"},
    "annotator.predictions": {"delete"},
    "annotator.candidate": {"delete"},
    "reviews.reviewset": {"change", "delete"},
    "reviews.slot": {"change", "delete"},
    "reviews.review": {"change", "delete"},
    "reviews.reviewevent": set(),
    "releases.release": set(),
    "reviews.verdict": set(),
    "releases.releaseimage": set(),
    "reviews.adjudication": set(),
    "reviews.flagdecision": set(),
    "scoring.humanlabel": set(),
    "scoring.modelscore": set(),
    "mistakes.mistakereview": set(),
    "mistakes.mistake": set(),
    "mistakes.mistakejudgment": set(),
    "mistakes.mistakedecision": set(),
    "axes.accessattempt": {"delete"},
    "axes.accesslog": {"delete"},
    "axes.accessfailurelog": {"delete"},
}
LEAD_ADMIN = {
    "auth.user": {"view", "change"},  # panel membership of users who are not superusers
    "annotator.imageclass": {"view"},
    "annotator.valimage": {"view"},
    "annotator.classifier": {"view"},
    "annotator.predictions": {"view"},
    "annotator.candidate": {"view"},
    "reviews.reviewset": {"view", "change"},
    "reviews.slot": {"view"},
    "reviews.review": {"view"},
    "reviews.reviewevent": {"view"},
    "releases.release": {"view"},
    "reviews.verdict": {"view"},
    "releases.releaseimage": {"view"},
    "reviews.adjudication": {"view"},
    "reviews.flagdecision": {"view"},
    "scoring.humanlabel": {"view"},
    "scoring.modelscore": {"view"},
    "axes.accessattempt": {"view", "delete"},  # unlocking a user name
}


def admin_rows() -> dict:
    """Rows for the six URL patterns of each registered model admin."""
    rows = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        allowed = ADMIN_MODELS.get(label)
        if allowed is None:
            continue  # reported by test_every_admin_model_is_in_the_table
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        refused = {"anonymous": ADMIN_LOGIN, "expert": ADMIN_LOGIN, "lead": 403}
        lead = LEAD_ADMIN.get(label, set())
        seen = refused | {"lead": 200 if "view" in lead else 403}
        object_id = {"object_id": f"{{object:{label}}}"}
        rows[base] = ({}, seen | {"admin": 200})
        rows[f"{base}add/"] = ({}, refused | {"admin": 200 if "add" in allowed else 403})
        rows[f"{base}<path:object_id>/history/"] = (object_id, seen | {"admin": 200})
        rows[f"{base}<path:object_id>/delete/"] = (
            object_id,
            refused
            | {"lead": 200 if "delete" in lead else 403}
            | {"admin": 200 if "delete" in allowed else 403},
        )
        rows[f"{base}<path:object_id>/change/"] = (object_id, seen | {"admin": 200})
        # The bare object URL redirects staff to its change page (which then decides).
        rows[f"{base}<path:object_id>/"] = (
            object_id,
            {"anonymous": ADMIN_LOGIN, "expert": ADMIN_LOGIN, "lead": 302, "admin": 302},
        )
        if label == "auth.user":
            rows[f"{base}<id>/password/"] = (
                {"id": "{expert}"},
                refused | {"admin": 200},
            )
    # The index of one app's models; its pattern lists the apps in the order they registered.
    app_labels = list(dict.fromkeys(model._meta.app_label for model in admin.site._registry))
    rows[f"admin/^(?P<app_label>{'|'.join(app_labels)})/$"] = (
        {"app_label": "reviews"},
        {"anonymous": ADMIN_LOGIN, "expert": ADMIN_LOGIN, "lead": 200, "admin": 200},
    )
    return rows


def url_patterns(patterns=None, prefix=""):
    """Every URL pattern of the site as (route, pattern), routes spelt as the resolver has them."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_every_url_pattern_is_in_the_table():
    table = TABLE | admin_rows()
    missing = [route for route, _ in url_patterns() if route not in table and route not in EXCLUDED]
    assert not missing, f"add these URL patterns to TABLE in {__file__}: {missing}"


def test_every_admin_model_is_in_the_table():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(ADMIN_MODELS)


def test_the_table_has_no_pattern_the_site_lacks():
    routes = {route for route, _ in url_patterns()}
    assert not set(TABLE) - routes


# The sample data every row's kwargs refer to


@pytest.fixture
def world(db, settings):
    settings.AXES_ENABLED = True
    expert = add_panel_member(username="ada", password="ada-pass-2026")[0]
    lead = add_panel_member(username="lena", password="lead-pass-2026", lead=True)[0]
    root = make_user(username="root", is_staff=True, is_superuser=True)
    # Not the class's first image: the releases below label that one, and a release that labels
    # an image the expert can still claim is withheld from them (blind review).
    images = list(ValImage.objects.filter(original_label_id=65).order_by("number")[1:3])
    for image in images:
        make_candidates(image, {65: 30, 58: 20})
        attach_picture(image)
    review_set = create_review_set(
        name="snakes",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=2,
        created_by=lead,
    )
    review = claim_next(review_set=review_set, expert=expert)
    save_verdicts(review=review, expert=expert, verdicts={65: "correct", 58: "wrong"})
    submit_review(review=review, expert=expert)
    make_release("1.0.0")
    make_release("2.0.0", problematic=(3,))
    make_model("resnet")
    # A mistake review of a model that misses one image of release 1.0.0, claimed by the expert.
    mistaken = make_model("alexnet", {int(first_image_of_each_class()[5]): 6})
    mistake_review = open_mistake_review(
        name="alexnet's mistakes",
        release=Release.objects.get(version="1.0.0"),
        classifiers=[mistaken],
        created_by=lead,
    )
    mistake_item = claim_next(review_set=mistake_review, expert=expert)
    answer(expert, first_image_of_each_class()[0], 0)
    Token.objects.create(user=expert)
    # An annotated image with a picture the expert neither reviewed nor answered: still blind.
    blind_image = attach_picture(
        ValImage.objects.filter(in_annotated_subset=True)
        .exclude(pk__in=[*(image.pk for image in images), int(first_image_of_each_class()[0])])
        .order_by("number")
        .first()
    )
    BlindTask.objects.create(
        person=expert, image=blind_image, token=BLIND_TOKEN, issued_at=timezone.now()
    )
    attempt = dict(user_agent="test", ip_address="127.0.0.9", username="someone", http_accept="*/*")
    AccessAttempt.objects.create(
        **attempt, path_info="/", get_data="", post_data="", failures_since_start=1
    )
    AccessLog.objects.create(**attempt, path_info="/")
    AccessFailureLog.objects.create(**attempt, path_info="/", locked_out=False)
    decided = dict(image=review.image, decided_by=lead, decided_at=timezone.now())
    Adjudication.objects.create(**decided, label_id=58, value="wrong")
    FlagDecision.objects.create(**decided, confirmed=False)
    release = Release.objects.without_content().first()
    ModelScore.objects.create(
        release=release,
        classifier=Classifier.objects.get(name="resnet"),
        inputs="-",
        summary={},
        per_class={},
        computed_at=timezone.now(),
    )
    mistake = mistake_review.mistakes.get()
    objects = {
        "auth.group": Group.objects.first(),
        "auth.user": expert,
        "authtoken.tokenproxy": expert,  # a token's admin pages are keyed by its user
        "annotator.imageclass": ImageClass.objects.get(index=65),
        "annotator.valimage": review.image,
        "annotator.classifier": Classifier.objects.get(name="resnet"),
        "annotator.predictions": Predictions.objects.first(),
        "annotator.candidate": Candidate.objects.first(),
        "reviews.reviewset": review_set,
        "reviews.slot": Slot.objects.first(),
        "reviews.review": review,
        "reviews.reviewevent": ReviewEvent.objects.first(),
        "releases.release": release,
        "reviews.verdict": Verdict.objects.first(),
        "releases.releaseimage": ReleaseImage.objects.first(),
        "reviews.adjudication": Adjudication.objects.first(),
        "reviews.flagdecision": FlagDecision.objects.first(),
        "scoring.humanlabel": HumanLabel.objects.first(),
        "scoring.modelscore": ModelScore.objects.first(),
        "axes.accessattempt": AccessAttempt.objects.first(),
        "axes.accesslog": AccessLog.objects.first(),
        "axes.accessfailurelog": AccessFailureLog.objects.first(),
        "mistakes.mistakereview": MistakeReview.objects.first(),
        "mistakes.mistake": mistake,
        "mistakes.mistakejudgment": MistakeJudgment.objects.create(
            review=mistake_item, mistake=mistake, category="fine_grained", severity="major"
        ),
        "mistakes.mistakedecision": MistakeDecision.objects.create(
            mistake=mistake, category="fine_grained", severity="minor", decided_at=timezone.now()
        ),
    }
    values = {f"object:{label}": obj.pk for label, obj in objects.items()}
    values |= {
        "number": review.image_id,
        "candidate": Candidate.objects.first().pk,
        "review_set": review_set.pk,
        "review": review.pk,
        "mistake_review": mistake_review.pk,
        "mistake_item": mistake_item.pk,
        "mistake": mistake_review.mistakes.get().pk,
        "expert": expert.pk,
        "user_type": apps.get_model("contenttypes", "ContentType").objects.get_for_model(expert).pk,
    }
    return {"users": {"expert": expert, "lead": lead, "admin": root}, "values": values}


def build_url(route: str, kwargs: dict, values: dict) -> str:
    """The URL of a route with its sample kwargs ("{name}" taken from the sample data)."""
    url = route
    query = kwargs.get("?")
    for key, value in kwargs.items():
        if key == "?":
            continue
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            value = values[value[1:-1]]
        url = re.sub(rf"\(\?P<{key}>[^)]*\)|<(?:\w+:)?{key}>", str(value), url)
    url = url.replace("\\.", ".").replace("^", "").replace("/?$", "").replace("$", "")
    assert "<" not in url and "(" not in url, f"{route}: no sample kwargs for {url}"
    return "/" + url + (f"?{query}" if query else "")


def outcome_of(response) -> object:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/accounts/login/"):
            return LOGIN
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
    return response.status_code


def every_row():
    return sorted((TABLE | admin_rows()).items())


@pytest.mark.parametrize("route,row", every_row(), ids=[route for route, _ in every_row()])
def test_who_may_open_each_url(client, world, route, row):
    kwargs, expected = row
    url = build_url(route, kwargs, world["values"])
    found = {}
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(world["users"][role])
        found[role] = outcome_of(client.get(url))
    assert found == expected, f"{url}: {found}"


# Unsafe methods: anonymous visitors and the wrong role are refused and nothing changes.


def snapshot() -> str:
    """Every row the panel works with (not the 50,000 catalogue images), to compare."""
    models = [
        *apps.get_app_config("reviews").get_models(),
        Classifier,
        Candidate,
        Token,
        apps.get_model("auth", "User"),
        Group,
    ]
    rows = {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}
    for user in rows["auth.User"]:
        user.pop("last_login")  # logging in to try is not a change
    return json.dumps(rows, default=str, sort_keys=True)


UNSAFE = [
    # (method, route kwargs, body, who is refused -> outcome)
    ("post", "api/review-sets/", {}, {"name": "x", "scope": {"kind": "all"}}, {"expert": 403}),
    ("post", "api/review-sets/<int:pk>/claim/", {"pk": "{review_set}"}, {}, {}),
    (
        "put",
        "api/reviews/<int:pk>/verdicts/",
        {"pk": "{review}"},
        {"verdicts": {"65": "wrong"}},
        {"lead": 403},
    ),
    ("post", "api/reviews/<int:pk>/labels/", {"pk": "{review}"}, {"label": 1}, {"lead": 403}),
    (
        "delete",
        "api/reviews/<int:pk>/labels/<int:label>/",
        {"pk": "{review}", "label": 58},
        None,
        {"lead": 403},
    ),
    (
        "put",
        "api/reviews/<int:pk>/flags/",
        {"pk": "{review}"},
        {"reasons": ["artwork"]},
        {"lead": 403},
    ),
    ("put", "api/reviews/<int:pk>/comment/", {"pk": "{review}"}, {"comment": "x"}, {"lead": 403}),
    ("post", "api/reviews/<int:pk>/renew/", {"pk": "{review}"}, {}, {"lead": 403}),
    ("post", "api/reviews/<int:pk>/submit/", {"pk": "{review}"}, {}, {"lead": 403}),
    ("post", "api/reviews/<int:pk>/skip/", {"pk": "{review}"}, {}, {"lead": 403}),
    ("post", "api/mistake-reviews/<int:pk>/claim/", {"pk": "{mistake_review}"}, {}, {}),
    (
        "put",
        "api/mistake-reviews/items/<int:review_id>/judgments/",
        {"review_id": "{mistake_item}"},
        {"judgments": {}},
        {"lead": 403},
    ),
    (
        "post",
        "api/mistake-reviews/items/<int:review_id>/submit/",
        {"review_id": "{mistake_item}"},
        {},
        {"lead": 403},
    ),
    (
        "post",
        "api/mistake-reviews/items/<int:review_id>/skip/",
        {"review_id": "{mistake_item}"},
        {},
        {"lead": 403},
    ),
    (
        "put",
        "api/adjudication/images/<int:number>/labels/<int:label>/",
        {"number": "{number}", "label": 65},
        {"value": "wrong"},
        {"expert": 403},
    ),
    (
        "put",
        "api/adjudication/images/<int:number>/flag/",
        {"number": "{number}"},
        {"confirmed": True},
        {"expert": 403},
    ),
    ("post", "api/releases/", {}, {"version": "9.0.0"}, {"expert": 403}),
    ("put", "api/releases/<version:version>/", {"version": "1.0.0"}, {"notes": "x"}, {}),
    ("delete", "api/releases/<version:version>/", {"version": "1.0.0"}, None, {}),
    ("post", "releases/cut/", {}, {"version": "9.0.0"}, {"expert": 403}),
    ("post", "review-sets/new/", {}, {"name": "x"}, {"expert": 403}),
    (
        "post",
        "mistakes/new/",
        {},
        {"name": "x", "release": "1.0.0", "models": ["alexnet"]},
        {"expert": 403},
    ),
    (
        "post",
        "mistakes/<int:review_set_id>/mistakes/<int:mistake_id>/decision/",
        {"review_set_id": "{mistake_review}", "mistake_id": "{mistake}"},
        {"category": "fine_grained", "severity": "major"},
        {"expert": 403},
    ),
    (
        "put",
        "api/mistake-reviews/mistakes/<int:pk>/decision/",
        {"pk": "{mistake}"},
        {"category": "fine_grained", "severity": "major"},
        {"expert": 403},
    ),
    ("post", "api/releases/<version:version>/evaluate/", {"version": "1.0.0"}, {"name": "x"}, {}),
    ("post", "leaderboard/<version:version>/evaluate/", {"version": "1.0.0"}, {"name": "x"}, {}),
    ("post", "humans/label/", {}, {"label": 65}, {}),
    ("post", "api/auth/logout/", {}, None, {}),
    ("post", "api/humans/skip/", {}, {"task": BLIND_TOKEN}, {"lead": 400}),
    (
        "post",
        "api/humans/labels/",
        {},
        {"task": BLIND_TOKEN, "label": 65, "seconds": 1},
        {"lead": 400},
    ),
]


@pytest.mark.parametrize(
    "method,route,kwargs,body,refused",
    UNSAFE,
    ids=[f"{method} {route}" for method, route, *_ in UNSAFE],
)
def test_unsafe_requests_from_outsiders_and_the_wrong_role_change_nothing(
    client, world, method, route, kwargs, body, refused
):
    assert route in TABLE
    url = build_url(route, kwargs, world["values"])
    anonymous = route.startswith("api/") and 403 or LOGIN
    before = snapshot()
    found = {}
    for role in ("anonymous", *refused):
        client.logout()
        if role != "anonymous":
            client.force_login(world["users"][role])
        response = getattr(client, method)(
            url, json.dumps(body) if body is not None else None, content_type="application/json"
        )
        found[role] = outcome_of(response)

    assert found == {"anonymous": anonymous} | refused, f"{url}: {found}"
    assert snapshot() == before
