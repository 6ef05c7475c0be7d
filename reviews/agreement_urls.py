"""URLs of the agreement pages and API (see the views module beside this one)."""

app_name = "agreement"
urlpatterns = []
