"""The review workflow API (claim, verdicts, flags, submit, history)."""

urlpatterns = []
