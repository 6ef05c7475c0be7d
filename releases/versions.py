"""The rule for release versions (no ORM): MAJOR.MINOR.PATCH in ASCII digits, without leading
zeros (semantic versioning), at most 32 characters (Release.version). Python's ``\\d`` and
``int()`` also take full-width and Arabic-Indic digits (``１.０.０``), hence ``[0-9]``."""

import re

from django.core.exceptions import ValidationError

VERSION_MAX_LENGTH = 32
VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)", re.ASCII)
# What versions were accepted before the rule above: ASCII digits with leading zeros (01.0.0).
STORED_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+", re.ASCII)


def is_version(text: str, *, strict: bool = True) -> bool:
    """Whether ``text`` is a version a new release may take (``strict``) or a URL may name."""
    pattern = VERSION if strict else STORED_VERSION
    return len(text) <= VERSION_MAX_LENGTH and pattern.fullmatch(text) is not None


def validate_version(version: str) -> None:
    """A form and serializer validator for the version of a new release."""
    if not is_version(version):
        raise ValidationError(
            f"“{version}” is not a version: use MAJOR.MINOR.PATCH in ASCII digits without "
            f"leading zeros, e.g. 3.0.0 (at most {VERSION_MAX_LENGTH} characters).",
            code="invalid_version",
        )
