"""The rule for model names (no ORM): they appear in URLs, file names and command lines, so they
are ASCII letters, digits and ``. _ + -``, start with a letter or digit, at most 100 characters.
Every real testbed name (``resnet50``, ``fv_16k_model``, ``se_resnext101_32x4d``) and the timm
style (``vit_base_patch16_224.augreg_in21k``) fit."""

import re

from django.core.exceptions import ValidationError

MODEL_NAME_MAX_LENGTH = 100
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}", re.ASCII)
MODEL_NAME_RULE = (
    "use ASCII letters, digits and . _ + - (starting with a letter or digit), "
    f"at most {MODEL_NAME_MAX_LENGTH} characters"
)


def model_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a model, or None when it can."""
    if not isinstance(name, str) or not name:
        return "is empty or not text"
    if len(name) > MODEL_NAME_MAX_LENGTH:
        return f"is longer than {MODEL_NAME_MAX_LENGTH} characters"
    if not MODEL_NAME.fullmatch(name):
        return f"is not allowed: {MODEL_NAME_RULE}"
    return None


def validate_model_name(name: str) -> None:
    """A model field and form validator: raises ValidationError for a name the rule refuses."""
    problem = model_name_problem(name)
    if problem:
        raise ValidationError(f"The model name “{name}” {problem}.", code="invalid_model_name")
