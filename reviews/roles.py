"""The panel's two roles, as Django groups: experts review, leads also manage and see everything."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection

EXPERTS = "experts"
LEADS = "leads"


_GROUPS = """
    SELECT g.name FROM auth_group g JOIN auth_user_groups m ON m.group_id = g.id
    WHERE m.user_id = %s"""


def _groups(user) -> set[str]:
    """The user's group names, read once per request (every API call checks them)."""
    if not hasattr(user, "_panel_groups"):
        with connection.cursor() as cursor:
            cursor.execute(_GROUPS, [user.pk])
            user._panel_groups = {name for (name,) in cursor.fetchall()}
    return user._panel_groups


def remember_groups(user, names: set[str]) -> None:
    """The user's group names, when the caller read them already (token authentication)."""
    user._panel_groups = set(names)


def is_lead(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or LEADS in _groups(user)))


def is_expert(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Experts review; leads may review too."""
    return bool(user.is_authenticated and (is_lead(user) or EXPERTS in _groups(user)))
