"""Loaded by pytest (``-p tests.environment``) before Django reads its settings."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "only-for-the-test-run")
# Playwright's sync API runs an event loop in the test thread; the ORM calls made by fixtures in
# that thread are still synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
