from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo: a small panel with real predictions and stand-in pictures, loaded by one command."""

    name = "demo"
    verbose_name = "Demo"
