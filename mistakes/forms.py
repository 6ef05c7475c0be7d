"""The lead's forms: a new mistake review, a decision on a disputed mistake, and the numbers of
the ImageNet-M pick."""

from django import forms
from django.db.models.functions import Lower

from annotator.models import Classifier
from mistakes.summaries import DEFAULT_LIMIT, DEFAULT_MIN_MODELS
from mistakes.taxonomy import FailureCategory, Severity
from releases.models import Release
from reviews.models import ReviewOrder


class ReleaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, release: Release) -> str:
        return f"{release.version} ({release.image_count:,} images)"


class NewMistakeReviewForm(forms.Form):
    """The fields of ``mistakes.services.mistake_reviews.open_mistake_review``; its errors are
    keyed by these names."""

    name = forms.CharField(max_length=200)
    release = ReleaseChoiceField(
        queryset=Release.objects.none(),
        to_field_name="version",
        empty_label=None,
        help_text="Its labels say which predictions are mistakes.",
    )
    models = forms.ModelMultipleChoiceField(
        queryset=Classifier.objects.none(),
        to_field_name="name",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one model."},
        help_text="The images any of them gets wrong become the review's items.",
    )
    overlap = forms.IntegerField(
        min_value=1, max_value=20, initial=2, help_text="Experts per image"
    )
    order = forms.ChoiceField(choices=ReviewOrder.choices, initial=ReviewOrder.BY_CLASS)
    lease_minutes = forms.IntegerField(
        min_value=1, max_value=24 * 60, initial=30, label="Lease (minutes)"
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        releases = Release.objects.without_content().order_by("-created_at", "-pk")
        self.fields["release"].queryset = releases
        self.fields["release"].initial = releases.values_list("version", flat=True).first()
        # Only models whose predictions are stored can have mistakes.
        self.fields["models"].queryset = Classifier.objects.filter(
            predictions__isnull=False
        ).order_by(Lower("name"), "name")


class MistakeDecisionForm(forms.Form):
    """The lead's decision on one disputed mistake (``decide_mistake``)."""

    category = forms.ChoiceField(choices=[("", "—"), *FailureCategory.choices])
    severity = forms.ChoiceField(choices=[("", "—"), *Severity.choices])
    note = forms.CharField(required=False, max_length=2000)


class ImagenetMForm(forms.Form):
    """The numbers of the ImageNet-M rule, from the summary page's query string."""

    min_models = forms.IntegerField(
        min_value=1,
        required=False,
        label="Missed by at least",
    )
    limit = forms.IntegerField(
        min_value=1,
        required=False,
        label="At most",
        help_text="images (blank: all)",
    )

    def __init__(self, *args, model_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.model_count = model_count
        self.fields["min_models"].widget.attrs["max"] = model_count
        self.fields["min_models"].help_text = f"of the {model_count:,} models"

    def clean_min_models(self) -> int | None:
        value = self.cleaned_data["min_models"]
        if value is not None and value > self.model_count:
            raise forms.ValidationError(
                f"The review has {self.model_count:,} model{'s' if self.model_count != 1 else ''}: "
                f"at most {self.model_count:,}."
            )
        return value

    def numbers(self) -> tuple[int, int | None]:
        data = self.cleaned_data
        min_models = data.get("min_models") or DEFAULT_MIN_MODELS
        return min_models, data.get("limit") or DEFAULT_LIMIT
