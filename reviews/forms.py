"""The lead's form for a new review set."""

from django import forms

from annotator.forms import GROUP_CHOICES, ClassField
from annotator.selectors import ImageFilters
from reviews.models import ReviewOrder


class ReviewSetForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    annotated_only = forms.BooleanField(
        required=False, initial=True, label="Only the 20,000 annotated images"
    )
    with_picture = forms.BooleanField(
        required=False, initial=True, label="Only images with a picture"
    )
    group = forms.ChoiceField(required=False, choices=GROUP_CHOICES, label="Group of classes")
    label = ClassField(required=False, label="One class", help_text="An index, a wnid or a name")
    overlap = forms.IntegerField(
        min_value=1, max_value=20, initial=2, help_text="Experts per image"
    )
    order = forms.ChoiceField(choices=ReviewOrder.choices, initial=ReviewOrder.BY_CLASS)
    lease_minutes = forms.IntegerField(
        min_value=1, max_value=24 * 60, initial=30, label="Lease (minutes)"
    )

    def image_filters(self) -> ImageFilters:
        data = self.cleaned_data
        return ImageFilters(
            label=data["label"],
            group=data["group"] or None,
            with_picture=True if data["with_picture"] else None,
            annotated_subset=True if data["annotated_only"] else None,
        )
