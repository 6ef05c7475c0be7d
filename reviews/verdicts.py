"""What an expert can say of a label and of an image: the one list of verdict values and of
problem reasons, used by the models, the services, the pages (sent to them as JSON) and the
consensus rule. Plain enums without the ORM, so the pure modules import them too. (The exchange
file names its lists "correct", "unclear" and "wrong" itself: that is the dataset's format.)

A new verdict value goes here, and in the consensus rule (``reviews.consensus``) if it needs one;
a database constraint lists the values (``Verdict`` and ``Adjudication``), so a migration too."""

from django.db import models


class VerdictValue(models.TextChoices):
    CORRECT = "correct", "correct"
    WRONG = "wrong", "wrong"
    UNCLEAR = "unclear", "unclear"


class ProblemReason(models.TextChoices):
    """When an image is problematic (MISSION.md): it stays in the dataset but out of the score."""

    ORIGINAL_LABEL = "original_label", "its original ImageNet label is wrong or unclear"
    ARTWORK = "artwork", "a drawing, painting, sketch, cartoon or computer rendering"
    EDITED = "edited", "heavily edited"
    INAPPROPRIATE = "inappropriate", "inappropriate content"
