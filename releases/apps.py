from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    """Releases: frozen, versioned sets of consolidated labels, exported in the exchange format."""

    name = "releases"
    verbose_name = "Releases"

    def ready(self) -> None:
        # The review workflow asks which release froze an image; releases answer (see
        # reviews.freezing for why the question goes through a hook).
        from releases.selectors import first_release_of, released_images
        from reviews import freezing

        freezing.answer_with(release_of=first_release_of, frozen_images=released_images)
