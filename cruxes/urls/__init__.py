"""The app's HTML routes, one module per area so each stays small."""

from . import analysis, claims, discussion

app_name = "cruxes"
urlpatterns = discussion.urlpatterns + claims.urlpatterns + analysis.urlpatterns
