"""Exports and the Polis import, over HTTP. The work is in cruxes.exports; these views pick
the scope (a thread's, or the site's), stream the bytes, and document it all."""

import tempfile

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cruxes.exports import nested, polis, streams
from cruxes.exports.pseudonyms import SITE_SCOPE, for_scope, thread_scope
from cruxes.models import Thread

from . import serializers as s
from .filters import StrictIsoDateTimeField
from .permissions import ReadPublicWriteSignedIn
from .throttles import WriteRateThrottle
from .views import errors

DATASET_NAMES = list(streams.DATASETS)
FLAT_FORMATS = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
SINCE = OpenApiParameter("since", OpenApiTypes.DATETIME, description="Only rows changed at or after this time.")
THREAD = OpenApiParameter("thread", OpenApiTypes.INT, description="Only this thread's rows.")
DATASET = OpenApiParameter("dataset", OpenApiTypes.STR, OpenApiParameter.PATH, enum=DATASET_NAMES,
                           description="; ".join(f"`{d.name}`: {d.description}" for d in streams.DATASETS.values()))


class _Passthrough(BaseRenderer):
    """Lets content negotiation accept the export's media type; errors still go out as JSON."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class CSVRenderer(_Passthrough):
    media_type = "text/csv"
    format = "csv"


class NDJSONRenderer(_Passthrough):
    media_type = "application/x-ndjson"
    format = "ndjson"


class ZipRenderer(_Passthrough):
    media_type = "application/zip"
    format = "zip"


class ExportView(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [ReadPublicWriteSignedIn]
    renderer_classes = [JSONRenderer]

    def since(self):
        raw = self.request.query_params.get("since")
        if raw is None:
            return None
        try:
            return StrictIsoDateTimeField().clean(raw)
        except DjangoValidationError:
            raise ValidationError({"since": ["Enter a date and time in ISO 8601 form."]}) from None

    def thread_param(self):
        raw = self.request.query_params.get("thread")
        if raw is None:
            return None
        if not raw.isdigit() or len(raw) > 18:
            raise ValidationError({"thread": ["Enter a thread id."]})
        return int(raw)


def _flat_response(dataset_name: str, fmt: str, *, scope, thread_id, since, filename: str):
    dataset = streams.DATASETS.get(dataset_name)
    if dataset is None:
        raise Http404("No such dataset.")
    stream = streams.stream_csv if fmt == "csv" else streams.stream_ndjson
    response = StreamingHttpResponse(stream(dataset, scope=scope, thread_id=thread_id, since=since),
                                     content_type=FLAT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _flat_schema(fmt: str, where: str):
    media = FLAT_FORMATS[fmt].split(";")[0]
    return extend_schema(
        summary=f"Stream a dataset as {fmt.upper()} ({where})",
        description="Streamed from a server-side cursor in (updated_at, id) order; voters appear under "
                    "pseudonymous ids of this export's scope. Resume with `since`.",
        parameters=[DATASET, SINCE] + ([THREAD] if where == "site-wide" else []),
        responses={(200, media): OpenApiResponse(OpenApiTypes.STR, description=f"{fmt.upper()} rows"),
                   **errors(400, 401, 404)},
    )


class SiteCSVExport(ExportView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    @_flat_schema("csv", "site-wide")
    def get(self, request, dataset):
        return _flat_response(dataset, "csv", scope=for_scope(SITE_SCOPE), thread_id=self.thread_param(),
                              since=self.since(), filename=f"{dataset}")


class SiteNDJSONExport(ExportView):
    renderer_classes = [JSONRenderer, NDJSONRenderer]

    @_flat_schema("ndjson", "site-wide")
    def get(self, request, dataset):
        return _flat_response(dataset, "ndjson", scope=for_scope(SITE_SCOPE), thread_id=self.thread_param(),
                              since=self.since(), filename=f"{dataset}")


class ThreadCSVExport(ExportView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    @_flat_schema("csv", "one thread")
    def get(self, request, pk, dataset):
        thread = get_object_or_404(Thread, pk=pk)
        return _flat_response(dataset, "csv", scope=for_scope(thread_scope(thread.pk)), thread_id=thread.pk,
                              since=self.since(), filename=f"thread-{thread.pk}-{dataset}")


class ThreadNDJSONExport(ExportView):
    renderer_classes = [JSONRenderer, NDJSONRenderer]

    @_flat_schema("ndjson", "one thread")
    def get(self, request, pk, dataset):
        thread = get_object_or_404(Thread, pk=pk)
        return _flat_response(dataset, "ndjson", scope=for_scope(thread_scope(thread.pk)), thread_id=thread.pk,
                              since=self.since(), filename=f"thread-{thread.pk}-{dataset}")


NESTED_DESCRIPTION = ("`{format, scope, exported_at, threads: [{thread fields, comments: [{comment fields, claims: "
                      "[{selector, tallies, candidate_reasons, votes, reasons}]}], crux_links, analysis}]}`. "
                      "Streamed; voters are pseudonymous within the scope.")


class ThreadJSONExport(ExportView):
    @extend_schema(summary="A thread as one nested JSON document", description=NESTED_DESCRIPTION,
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Nested JSON"),
                              **errors(401, 404)})
    def get(self, request, pk):
        thread = get_object_or_404(Thread.objects.select_related("author"), pk=pk)
        response = StreamingHttpResponse(nested.stream_thread(thread), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="thread-{thread.pk}.json"'
        return response


class SiteJSONExport(ExportView):
    @extend_schema(summary="Every thread as one nested JSON document", description=NESTED_DESCRIPTION,
                   parameters=[SINCE],
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Nested JSON"),
                              **errors(400, 401)})
    def get(self, request):
        response = StreamingHttpResponse(nested.stream_site(since=self.since()), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="site.json"'
        return response


class PolisZipExport(ExportView):
    renderer_classes = [JSONRenderer, ZipRenderer]

    @extend_schema(
        summary="A thread in Polis's export format (zip)",
        description="summary.csv, comments.csv, votes.csv and participants-votes.csv with Polis's columns: "
                    "claims are Polis comments, voters integer pseudonyms of the thread's scope.",
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY), **errors(401, 404)},
    )
    def get(self, request, pk):
        thread = get_object_or_404(Thread, pk=pk)
        # Spooled: small zips stay in memory, big ones go to disk, never all in memory.
        target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        polis.write_polis_zip(thread, target, url=request.build_absolute_uri(thread.get_absolute_url()))
        target.seek(0)
        stamp = timezone.now().strftime("%Y%m%d")
        return FileResponse(target, as_attachment=True, filename=f"thread-{thread.pk}-polis-{stamp}.zip",
                            content_type="application/zip")


class PolisFileExport(ExportView):
    """One file of the Polis export, so Polis tools that read an export directory by URL
    (`<dir>/comments.csv`, `<dir>/votes.csv`) can read a thread."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        summary="One file of a thread's Polis export",
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH,
                                     enum=[name.removesuffix(".csv") for name in polis.FILES])],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR), **errors(401, 404)},
    )
    def get(self, request, pk, name):
        thread = get_object_or_404(Thread, pk=pk)
        if f"{name}.csv" not in polis.FILES:
            raise Http404("No such Polis file.")
        chunks = polis.polis_file(thread, f"{name}.csv", url=request.build_absolute_uri(thread.get_absolute_url()))
        return StreamingHttpResponse((chunk.encode() for chunk in chunks), content_type="text/csv; charset=utf-8")


class PolisImport(ExportView):
    parser_classes = [MultiPartParser]
    throttle_classes = [WriteRateThrottle]
    # Uploads above this are refused before they are read.
    max_upload_bytes = 100 * 1024 * 1024

    @extend_schema(
        summary="Import a Polis export (zip) as a new thread",
        description="Each Polis comment becomes a comment with its whole-comment claim; participants become "
                    "inactive imported accounts; the latest vote per participant and comment is kept "
                    "(0 = pass → unsure). You become the thread's author.",
        request={"multipart/form-data": s.PolisImportSerializer},
        responses={201: s.PolisImportResultSerializer, **errors(400, 401, 403, 415, 429)},
    )
    def post(self, request):
        serializer = s.PolisImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > self.max_upload_bytes:
            raise ValidationError({"file": ["The upload is larger than 100 MB."]})
        if not request.user.is_active:
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("This account is inactive.")
        source = polis.PolisSource(upload, name=(upload.name or "").rsplit(".", 1)[0])
        result = polis.import_polis(source=source, author=request.user,
                                    title=serializer.validated_data.get("title") or None)
        return Response({"thread": result.thread.pk, "comments": result.comments,
                         "participants": result.participants, "votes": result.votes,
                         "vote_events": result.vote_events}, status=status.HTTP_201_CREATED)
