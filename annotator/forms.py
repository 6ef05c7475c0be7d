"""The browse filters as a form, so bad values get a message instead of a 500."""

from django import forms

from annotator.selectors import ImageFilters, find_class

GROUP_CHOICES = [
    ("", "any group"),
    ("organism", "organisms"),
    ("object", "objects"),
    ("dog", "dogs"),
]
PICTURE_CHOICES = [("", "with or without"), ("yes", "with a picture"), ("no", "without")]
SUBSET_CHOICES = [("", "all 50,000"), ("yes", "the 20,000 annotated"), ("no", "not annotated")]


class ClassField(forms.CharField):
    """A class named by its index, wnid or name; cleans to the ImageClass, or None when empty."""

    def clean(self, value):
        query = super().clean(value)
        if not query.strip():
            return None
        image_class = find_class(query)
        if image_class is None:
            raise forms.ValidationError(f"No class matches “{query}”.")
        return image_class


def _tristate(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class ImageFilterForm(forms.Form):
    label = ClassField(
        required=False,
        label="Class",
        help_text="An index, a wnid or a name",
        widget=forms.TextInput(
            attrs={"list": "class-options", "placeholder": "e.g. n01440764 or tench"}
        ),
    )
    group = forms.ChoiceField(required=False, choices=GROUP_CHOICES)
    min_candidates = forms.IntegerField(
        required=False, min_value=0, max_value=100, label="Candidates from"
    )
    max_candidates = forms.IntegerField(required=False, min_value=0, max_value=100, label="to")
    picture = forms.ChoiceField(required=False, choices=PICTURE_CHOICES)
    subset = forms.ChoiceField(required=False, choices=SUBSET_CHOICES, label="Images")

    def to_filters(self) -> ImageFilters:
        data = self.cleaned_data
        return ImageFilters(
            label=data.get("label"),
            group=data.get("group") or None,
            min_candidates=data.get("min_candidates"),
            max_candidates=data.get("max_candidates"),
            with_picture=_tristate(data.get("picture", "")),
            annotated_subset=_tristate(data.get("subset", "")),
        )
