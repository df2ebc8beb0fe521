from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("cruxes.urls.accounts")),
    path("api/", include("cruxes.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("", include("cruxes.urls")),
]
