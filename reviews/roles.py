"""The panel's two roles, as Django groups: experts review, leads also manage and see everything."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

EXPERTS = "experts"
LEADS = "leads"


def _groups(user) -> set[str]:
    if not hasattr(user, "_panel_groups"):
        user._panel_groups = set(user.groups.values_list("name", flat=True))
    return user._panel_groups


def is_lead(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or LEADS in _groups(user)))


def is_expert(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Experts review; leads may review too."""
    return bool(user.is_authenticated and (is_lead(user) or EXPERTS in _groups(user)))
