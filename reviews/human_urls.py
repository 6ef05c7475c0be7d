"""Blind labelling pages: the labelling page, its picture (by the task's token) and the person's
own answers."""

from django.urls import path

from reviews import human_views

app_name = "humans"
urlpatterns = [
    path("humans/", human_views.answers, name="answers"),
    path("humans/label/", human_views.label, name="label"),
    path("humans/pictures/<slug:token>/<str:kind>.jpg", human_views.picture, name="picture"),
]
