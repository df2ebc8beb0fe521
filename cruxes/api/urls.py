"""Everything under /api/: resources, exports, the Polis import, the schema and its docs,
and the HTML form posts that create / revoke a user's token."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import export_views, tokens, views

app_name = "api"


class SwaggerDocs(SpectacularSwaggerSplitView):
    """Swagger UI from the sidecar's static files; the init script is fetched as a separate
    file (`?script`), so the page needs no inline script under our CSP."""

    template_name = "cruxes/api/swagger_ui.html"


router = SimpleRouter()
router.register("threads", views.ThreadViewSet, basename="thread")
router.register("comments", views.CommentViewSet, basename="comment")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("votes", views.VoteViewSet, basename="vote")
router.register("reasons", views.ReasonViewSet, basename="reason")
router.register("endorsements", views.EndorsementViewSet, basename="endorsement")
router.register("candidate-reasons", views.CandidateReasonViewSet, basename="candidate-reason")
router.register("crux-links", views.CruxLinkViewSet, basename="crux-link")
router.register("analysis", views.AnalysisResultViewSet, basename="analysis")
router.register("hotspots", views.HotspotViewSet, basename="hotspots")
router.register("themes", views.ThemeViewSet, basename="themes")
router.register("opinion-groups", views.OpinionGroupViewSet, basename="opinion-groups")
router.register("crux-candidates", views.CruxCandidateViewSet, basename="crux-candidates")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerDocs.as_view(url_name="api:schema"), name="docs"),
    path("tokens/create/", tokens.api_token_create, name="api_token_create"),
    path("tokens/revoke/", tokens.api_token_revoke, name="api_token_revoke"),
    path("export/site.json", export_views.SiteJSONExport.as_view(), name="export_site_json"),
    path("export/<slug:dataset>.csv", export_views.SiteCSVExport.as_view(), name="export_csv"),
    path("export/<slug:dataset>.ndjson", export_views.SiteNDJSONExport.as_view(), name="export_ndjson"),
    path("threads/<int:pk>/export.json", export_views.ThreadJSONExport.as_view(), name="thread_export_json"),
    path("threads/<int:pk>/export/<slug:dataset>.csv", export_views.ThreadCSVExport.as_view(),
         name="thread_export_csv"),
    path("threads/<int:pk>/export/<slug:dataset>.ndjson", export_views.ThreadNDJSONExport.as_view(),
         name="thread_export_ndjson"),
    path("threads/<int:pk>/polis.zip", export_views.PolisZipExport.as_view(), name="thread_polis_zip"),
    path("threads/<int:pk>/polis/<slug:name>.csv", export_views.PolisFileExport.as_view(), name="thread_polis_file"),
    path("import/polis/", export_views.PolisImport.as_view(), name="import_polis"),
    *router.urls,
    # Anything else under /api/ is a JSON 404, not the site's HTML page.
    re_path(r"^[\s\S]*$", views.api_not_found, name="not_found"),
]
