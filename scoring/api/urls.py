"""The blind labelling API (unnamespaced, under /api/)."""

from django.urls import path

from scoring.api import human_labels

urlpatterns = [
    path("humans/next/", human_labels.NextBlindImageView.as_view(), name="human-next"),
    path("humans/skip/", human_labels.SkipBlindTaskView.as_view(), name="human-skip"),
    path("humans/labels/", human_labels.HumanLabelListView.as_view(), name="human-labels"),
]
