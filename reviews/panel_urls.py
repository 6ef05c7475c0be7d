"""Pages for leads and progress."""

app_name = "panel"
urlpatterns = []
