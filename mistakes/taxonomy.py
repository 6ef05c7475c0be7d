"""What an expert can say of a model's mistake: its failure category and its severity, as in
Vasudevan et al. 2022 ("When does dough become a bagel?", the reviewed mistakes of ViT-3B and
Greedy Soups in ``google-research/imagenet-mistakes``). Plain enums without the ORM, so the pure
modules import them too.

The published files spell the categories as below (the enums' labels), and one of them two ways:
Greedy Soups' file writes "Fine-grained with OOV" for nine of the mistakes that both files, and
ViT-3B's everywhere, call "Fine-grained error with OOV". Both are the same category here; a
decision imported with the other spelling keeps it, so that an export gives the file back."""

from django.db import models


class FailureCategory(models.TextChoices):
    FINE_GRAINED = "fine_grained", "Fine-grained error"
    FINE_GRAINED_OOV = "fine_grained_oov", "Fine-grained error with OOV"
    FINE_GRAINED_MULTILABEL = (
        "fine_grained_multilabel",
        "Fine-grained with Multilabel Options",
    )
    SPURIOUS_CORRELATION = "spurious_correlation", "Spurious Correlation"
    NON_PROTOTYPICAL = "non_prototypical", "Non-prototypical"


class Severity(models.TextChoices):
    """Major: the model's answer is plainly wrong; minor: wrong but close (a near class);
    borderline: arguably right."""

    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    BORDERLINE = "borderline", "Borderline"


# Each category's one-line description, for the expert's page and the README.
CATEGORY_HELP = {
    FailureCategory.FINE_GRAINED: "confused with a closely related class of the 1,000",
    FailureCategory.FINE_GRAINED_OOV: "the object belongs to a class outside the 1,000 "
    "(out of vocabulary) and the model picked the nearest one",
    FailureCategory.FINE_GRAINED_MULTILABEL: "a fine-grained confusion where several classes "
    "could apply",
    FailureCategory.SPURIOUS_CORRELATION: "the model answered from the context (background, "
    "co-occurring objects) rather than the object",
    FailureCategory.NON_PROTOTYPICAL: "an unusual instance of the right class (pose, "
    "rendering, part of it)",
}

# Spelling in a published file -> category, the enums' labels and the second spelling above.
CATEGORY_BY_SPELLING = {category.label: category for category in FailureCategory} | {
    "Fine-grained with OOV": FailureCategory.FINE_GRAINED_OOV,
}
SEVERITY_BY_SPELLING = {severity.label: severity for severity in Severity}
