"""Panel membership: creating experts and leads."""

import secrets

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from reviews.roles import EXPERTS, LEAD_ADMIN_PERMISSIONS, LEADS


def ensure_panel_groups() -> None:
    """The two role groups, the leads with their admin permissions (migrations make them on a
    new database; tests that flush the database call this)."""
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in (EXPERTS, LEADS)}
    groups[LEADS].permissions.add(*lead_admin_permissions())


def lead_admin_permissions() -> list[Permission]:
    """The permissions of :data:`reviews.roles.LEAD_ADMIN_PERMISSIONS`, made first if the
    database has none yet (Django makes them after ``migrate``, or after a flush)."""
    wanted = Q()
    for app_label, codename in LEAD_ADMIN_PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(wanted))
    if len(found) < len(LEAD_ADMIN_PERMISSIONS):
        # After a flush the content types are made anew under new ids: the per-process cache
        # would hand create_permissions the old ones.
        ContentType.objects.clear_cache()
        for app_label in dict.fromkeys(app_label for app_label, _ in LEAD_ADMIN_PERMISSIONS):
            create_permissions(apps.get_app_config(app_label), verbosity=0)
        found = list(Permission.objects.filter(wanted))
    return found


@transaction.atomic
def add_panel_member(
    *, username: str, password: str | None = None, lead: bool = False
) -> tuple[AbstractBaseUser, str | None]:
    """Create an expert (or a lead, who may also use the admin), or give an existing user the
    role. Returns the user and the password set, generated when none was given for a new user."""
    User = get_user_model()
    username = username.strip()
    if not username:
        raise ValidationError("A username is needed.")
    user = User.objects.filter(username=username).first()
    if user is None:
        # Django's own rule for user names (letters, digits and @ . + - _, at most 150
        # characters), the one its admin applies: the name appears in URLs and on leaderboards.
        User._meta.get_field(User.USERNAME_FIELD).run_validators(username)
        user = User(username=username)
        password = password or secrets.token_urlsafe(12)
    if password:
        validate_password(password, user)
        user.set_password(password)
    if lead:
        user.is_staff = True
    user.save()
    ensure_panel_groups()
    user.groups.add(Group.objects.get(name=EXPERTS))
    if lead:
        user.groups.add(Group.objects.get(name=LEADS))
    return user, password
