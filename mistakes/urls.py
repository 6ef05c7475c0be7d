"""Mistake review's pages (``mistakes:``): the expert's review page, and the lead's list, new
review, summary, adjudication and ImageNet-M pages."""

from django.urls import path

from mistakes.views import expert, lead

app_name = "mistakes"

urlpatterns: list = [
    # Expert pages (mistakes.views.expert).
    path("mistakes/<int:review_set_id>/review/", expert.review, name="review"),
    # Lead pages (mistakes.views.lead).
    path("mistakes/", lead.review_list, name="lead-list"),
    path("mistakes/new/", lead.new_review, name="lead-new"),
    path("mistakes/<int:review_set_id>/", lead.summary, name="lead-summary"),
    path(
        "mistakes/<int:review_set_id>/mistakes/<int:mistake_id>/decision/",
        lead.decide,
        name="lead-decide",
    ),
]
