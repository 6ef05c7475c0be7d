from django.apps import AppConfig


class AgreementConfig(AppConfig):
    """Agreement: how far the panel's experts agree with each other and with the consensus."""

    name = "agreement"
    verbose_name = "Agreement"
