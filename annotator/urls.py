"""The catalogue's pages: images, their pictures, classes and models."""

from django.urls import path

from annotator import views

app_name = "annotator"
urlpatterns = [
    path("images/", views.image_list, name="image-list"),
    path("images/<int:number>/", views.image_detail, name="image-detail"),
    path("images/<int:number>/<str:kind>.jpg", views.picture, name="picture"),
    path("classes/", views.class_list, name="class-list"),
    path("classes/<int:index>/", views.class_detail, name="class-detail"),
    path("models/", views.classifier_list, name="classifier-list"),
]
