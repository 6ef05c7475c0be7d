"""The review pages."""

from django.urls import path

from reviews import views

app_name = "reviews"
urlpatterns = [
    path("review/", views.home, name="home"),
    path("review/sets/<int:review_set_id>/", views.review, name="review"),
    path("review/reviews/<int:review_id>/", views.reopen, name="reopen"),
]
