"""URLs of the agreement pages and API (see the views module beside this one)."""

from django.urls import path

from reviews import agreement_views

app_name = "agreement"
urlpatterns = [
    path("agreement/", agreement_views.agreement_page, name="page"),
    path("api/agreement/", agreement_views.AgreementView.as_view(), name="api"),
]
