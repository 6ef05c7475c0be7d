"""Error answers as the OpenAPI schema documents them: ``{"detail": "..."}``, or messages keyed
by field for a malformed request body or query parameter (config.exceptions)."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(
        required=False, help_text="What went wrong; field errors are keyed by field instead."
    )
    code = serializers.CharField(
        required=False,
        help_text='Set on two refusals a client acts on: "stale_version" (409: reload, then '
        'change again) and "not_authenticated" (403: log in again).',
    )

    class Meta:
        ref_name = "Error"


def error(description: str) -> OpenApiResponse:
    """An error answer of an operation, in the one shape every error has (``ErrorSerializer``),
    with what it means there."""
    return OpenApiResponse(ErrorSerializer, description=description)


BAD_PARAMETERS = error("A query parameter is malformed; the message is keyed by it.")
BAD_REQUEST = error("A rule was broken; ``detail`` says which.")
PAGE_NOT_FOUND = error("No such page of the list.")
NOT_FOUND = error("No such object.")
FORBIDDEN = error("Your role does not allow this.")


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def document_common_errors(result, generator, request, public):
    """A drf-spectacular post-processing hook: the answers any operation may give whatever its
    view, so that clients (and the schema fuzz test) find them documented. 400: a NUL character
    in the address or a parameter (config.request_checks refuses it before any view); 415:
    a body of a media type the operation does not read."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "400", _error("A malformed request, e.g. a NUL character in a parameter.")
            )
            if "requestBody" in operation:
                responses.setdefault("415", _error("The body's media type is not one it reads."))
    return result
