"""The panel's two roles, as Django groups: experts review, leads also manage and see everything."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection

from reviews import queries

EXPERTS = "experts"
LEADS = "leads"


def _groups(user) -> set[str]:
    """The user's group names, read once per request (every API call checks them)."""
    if not hasattr(user, "_panel_groups"):
        with connection.cursor() as cursor:
            user._panel_groups = queries.group_names(cursor, user_id=user.pk)
    return user._panel_groups


def remember_groups(user, names: set[str]) -> None:
    """The user's group names, when the caller read them already (token authentication)."""
    user._panel_groups = set(names)


def is_lead(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or LEADS in _groups(user)))


def is_expert(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Experts review; leads may review too."""
    return bool(user.is_authenticated and (is_lead(user) or EXPERTS in _groups(user)))


# What a lead may do in the admin, as (app label, permission codename); ensure_panel_groups and
# migration reviews/0010 give them to the leads group (0013 moved those of releases and scores to
# their apps). The labels of apps above this one are names here, not imports. Read only where the data must not change
# there: the catalogue, releases, reviews and their verdicts and audit trail, decisions, scores
# and blind answers change only through their pages and services (so every change is checked and
# audited), or never. A lead may rename, describe, close and reopen review sets, change the panel
# membership of users who are not superusers (reviews/admin.py limits that form: never a password,
# staff or superuser status, or a permission), and unlock a user name by deleting its access
# attempt. Groups, their permissions and API tokens stay out of reach.
LEAD_ADMIN_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("annotator", "view_imageclass"),
    ("annotator", "view_valimage"),
    ("annotator", "view_classifier"),
    ("annotator", "view_predictions"),
    ("annotator", "view_candidate"),
    ("reviews", "view_reviewset"),
    ("reviews", "change_reviewset"),
    ("reviews", "view_slot"),
    ("reviews", "view_review"),
    ("reviews", "view_verdict"),
    ("reviews", "view_reviewevent"),
    ("releases", "view_release"),
    ("releases", "view_releaseimage"),
    ("reviews", "view_adjudication"),
    ("reviews", "view_flagdecision"),
    ("scoring", "view_humanlabel"),
    ("scoring", "view_modelscore"),
    ("auth", "view_user"),
    ("auth", "change_user"),
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
)
