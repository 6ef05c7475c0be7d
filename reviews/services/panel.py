"""Panel membership: creating experts and leads."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from reviews.roles import EXPERTS, LEADS


def ensure_panel_groups() -> None:
    """The two role groups (a migration makes them; tests that flush the database call this)."""
    for name in (EXPERTS, LEADS):
        Group.objects.get_or_create(name=name)


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
