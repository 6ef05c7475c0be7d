from django.apps import AppConfig


class MistakesConfig(AppConfig):
    """Mistake review: the panel classifies the mistakes chosen models still make under a
    release's labels (failure category and severity), and ImageNet-M is chosen from the major
    ones, as Vasudevan et al. 2022 made it."""

    name = "mistakes"
    verbose_name = "Mistake review"
