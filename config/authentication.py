"""Token authentication for API clients, with the user's panel groups read in the same statement.

Every call of an API client authenticates, and every review call then checks the caller's role:
DRF's TokenAuthentication reads the token and user through the ORM, and the role check reads the
groups. One plain statement gives both (see :mod:`common.rows`), and the token's age: a token
older than API_TOKEN_TTL is refused and deleted.
"""

import functools
from datetime import UTC

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from common.rows import from_row
from common.sql import Table
from config.api_tokens import is_token_expired
from reviews.roles import remember_groups


@functools.cache
def _token_user_and_groups() -> str:
    """The statement, built on first use (the user model is known once the apps are loaded),
    with every table and column name from the models' ``_meta``."""
    user_model = get_user_model()
    token, user, group = Table(Token), Table(user_model), Table(Group)
    membership = Table(user_model.groups.through)
    quote = connection.ops.quote_name
    columns = ", ".join(f"u.{quote(field.column)}" for field in user_model._meta.concrete_fields)
    return (
        f"SELECT {columns}, t.{token.created}, g.{group.name}"
        f" FROM {token.table} t"
        f" JOIN {user.table} u ON u.{user.pk} = t.{token.user}"
        f" LEFT JOIN {membership.table} m"
        f" ON m.{getattr(membership, user_model._meta.model_name)} = u.{user.pk}"
        f" LEFT JOIN {group.table} g ON g.{group.pk} = m.{membership.group}"
        f" WHERE t.{token.pk} = %s"
    )


class PanelTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's TokenAuthentication, in one statement."""

    def authenticate_credentials(self, key: str):
        with connection.cursor() as cursor:
            cursor.execute(_token_user_and_groups(), [key])
            rows = cursor.fetchall()
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        created = rows[0][-2]
        if timezone.is_naive(created):  # SQLite keeps UTC without its zone
            created = created.replace(tzinfo=UTC)
        if is_token_expired(created):
            Token.objects.filter(key=key).delete()
            raise exceptions.AuthenticationFailed(
                _("Token expired: ask for a new one (POST /api/auth/token/).")
            )
        user = from_row(get_user_model(), rows[0][:-2])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if not user.has_usable_password():
            # Password log-in was switched off (the admin): a token handed out before goes too.
            Token.objects.filter(key=key).delete()
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        remember_groups(user, {group for *_, group in rows if group is not None})
        return user, Token(key=key, user=user, created=created)
