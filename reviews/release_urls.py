"""URLs of the release pages and API (see the views module beside this one)."""

app_name = "release"
urlpatterns = []
