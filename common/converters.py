"""The path converter for names (models, people) in URLs.

``quoted``: any stored name, whatever its characters (``/``, ``%``, ``?``, ``#``, spaces,
non-ASCII letters, ``..``), in one path segment. ``reverse`` percent-encodes what a URL cannot
hold (``?`` is ``%3F``), and the server decodes it back; ``/`` and ``%`` would survive that
decoding, so they are encoded once more here (``a/b`` is ``…/models/a%252Fb/``), as are names of
dots only, which browsers and proxies would read as path steps. Ordinary names are unchanged."""

from urllib.parse import unquote

from django.urls import register_converter


class QuotedNameConverter:
    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        return unquote(value)

    def to_url(self, value: str) -> str:
        value = str(value)
        if value.strip(".") == "":
            return "%2E" * len(value)
        return value.replace("%", "%25").replace("/", "%2F")


register_converter(QuotedNameConverter, "quoted")
