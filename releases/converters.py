"""The path converter for release versions in URLs.

``version``: a release version in ASCII digits, MAJOR.MINOR.PATCH; anything else in the URL
(full-width or Arabic-Indic digits, ``1.0``) resolves to nothing, so the page is a 404. Reversing
accepts any stored version, so a list that holds an old release never fails to render."""

from django.urls import register_converter

from releases.versions import is_version


class VersionConverter:
    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        if not is_version(value, strict=False):
            raise ValueError(f"{value!r} is not a release version")
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(VersionConverter, "version")
