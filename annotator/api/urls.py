from rest_framework.routers import DefaultRouter

from annotator.api import views

router = DefaultRouter()
router.register("classes", views.ImageClassViewSet, basename="class")
router.register("images", views.ImageViewSet, basename="image")
router.register("candidates", views.CandidateViewSet, basename="candidate")
router.register("models", views.ClassifierViewSet, basename="model")

urlpatterns = router.urls
