"""URLs of the agreement page and API."""

from django.urls import path

from agreement import views
from agreement.api import views as api

app_name = "agreement"
urlpatterns = [
    path("agreement/", views.agreement_page, name="page"),
    path("api/agreement/", api.AgreementView.as_view(), name="api"),
]
