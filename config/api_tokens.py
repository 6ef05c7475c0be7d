"""API tokens (DRF's authtoken): handed out by ``POST /api/auth/token/``, expiring API_TOKEN_TTL
after they were handed out, deleted on log-out and whenever the user's password changes."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token


def token_expires_at(created: datetime) -> datetime:
    """When a token handed out at ``created`` stops working."""
    return created + settings.API_TOKEN_TTL


def is_token_expired(created: datetime, *, now: datetime | None = None) -> bool:
    return token_expires_at(created) <= (now or timezone.now())


@transaction.atomic
def issue_api_token(*, user: AbstractBaseUser) -> Token:
    """The user's token while it lasts; a fresh one when they have none or theirs expired."""
    Token.objects.filter(user=user, created__lte=timezone.now() - settings.API_TOKEN_TTL).delete()
    token, _ = Token.objects.get_or_create(user=user)
    return token


def revoke_api_token(*, user: AbstractBaseUser) -> bool:
    """Delete the user's token (log-out, a password change); True when there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
