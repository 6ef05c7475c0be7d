"""Error answers as the OpenAPI schema documents them: ``{"detail": "..."}``, or messages keyed
by field for a malformed request body or query parameter (annotator.api.exceptions)."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(
        required=False, help_text="What went wrong; field errors are keyed by field instead."
    )

    class Meta:
        ref_name = "Error"


BAD_PARAMETERS = OpenApiResponse(
    ErrorSerializer, description="A query parameter is malformed; the message is keyed by it."
)
PAGE_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such page of the list.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such object.")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Your role does not allow this.")
