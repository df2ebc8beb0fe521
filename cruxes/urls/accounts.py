from django.urls import include, path

from cruxes.views import accounts as views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("", include("django.contrib.auth.urls")),
]
