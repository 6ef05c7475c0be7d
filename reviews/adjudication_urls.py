"""URLs of the adjudication pages and API (see the views module beside this one)."""

app_name = "adjudication"
urlpatterns = []
