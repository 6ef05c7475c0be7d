"""The review pages."""

app_name = "reviews"
urlpatterns = []
