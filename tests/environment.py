"""Loaded by pytest (``-p tests.environment``) before Django reads its settings."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "only-for-the-test-run")
# Tests run with debug off, so with the production settings, except the redirect to HTTPS: the
# test client and the live server speak plain HTTP (secure cookies still go through both).
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# Playwright's sync API runs an event loop in the test thread; the ORM calls made by fixtures in
# that thread are still synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
