from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from annotator import api_docs, security, views

catalogue_patterns = [
    path("images/", views.image_list, name="image-list"),
    path("images/<int:number>/", views.image_detail, name="image-detail"),
    path("images/<int:number>/<str:kind>.jpg", views.picture, name="picture"),
    path("classes/", views.class_list, name="class-list"),
    path("classes/<int:index>/", views.class_detail, name="class-detail"),
    path("models/", views.classifier_list, name="classifier-list"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="annotator:image-list"), name="home"),
    path("", include((catalogue_patterns, "annotator"))),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    # Ends the session and deletes the user's API token.
    path("accounts/logout/", security.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("api/", include("annotator.api.urls")),
    path("api/", include("reviews.api.urls")),
    path("", include("reviews.urls")),
    path("", include("reviews.panel_urls")),
    path("", include("reviews.adjudication_urls")),
    path("", include("reviews.agreement_urls")),
    path("", include("reviews.release_urls")),
    path("", include("reviews.scoring_urls")),
    path("", include("reviews.human_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs.SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", api_docs.RedocView.as_view(url_name="schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
]

handler404 = "annotator.api.exceptions.page_not_found"
