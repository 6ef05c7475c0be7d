"""Errors that mean the same to every app and to the API."""

from django.core.exceptions import ValidationError


class ConflictError(ValidationError):
    """The request is well formed but conflicts with the current state (another expert holds the
    image, the review changed since it was read): the API answers 409, not 400."""
