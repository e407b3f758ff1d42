"""Operator API of ingestion under /api/v1/ingestion/ (operators only): inbox status, downlink sessions and what
they lack, the quarantine (failed entries) with retry, download and deletion of the copy. Views validate and call
selectors and services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from rs.api.pagination import StandardCursorPagination
from rs.api.permissions import IsOperator
from rs.errors import NotFound
from rs.ingestion import selectors, services
from rs.ingestion.api.serializers import (
    EntryOutputSerializer,
    InboxStatusInputSerializer,
    InboxStatusOutputSerializer,
    QuarantineFilterInputSerializer,
    SessionFilterInputSerializer,
    SessionOutputSerializer,
)
from rs.ingestion.choices import SessionState
from rs.ingestion.models import Inbox, InboxEntry, Session


def _id(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise NotFound(f"no {what} {value!r}") from None


class InboxPagination(StandardCursorPagination):
    ordering = ("name",)


class InboxStatusViewSet(viewsets.ReadOnlyModelViewSet[Inbox]):
    """Every inbox with its last poll, its entries per state and what is wrong with it, by name."""

    serializer_class = InboxStatusOutputSerializer
    permission_classes = [IsOperator]
    pagination_class = InboxPagination

    def _since(self) -> Any:
        if not hasattr(self, "_since_value"):
            params = InboxStatusInputSerializer(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            self._since_value = timezone.now() - timedelta(hours=params.validated_data["hours"])
        return self._since_value

    def get_queryset(self) -> QuerySet[Inbox]:
        return selectors.inboxes_status(since=self._since())

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "since": self._since()}

    @extend_schema(parameters=[InboxStatusInputSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[InboxStatusInputSerializer])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        inbox_id = _id(kwargs["pk"], "inbox")
        inbox = self.get_queryset().filter(pk=inbox_id).first()
        if inbox is None:
            raise NotFound(f"no inbox {inbox_id}")
        return Response(self.get_serializer(inbox).data)


class SessionPagination(StandardCursorPagination):
    """Incomplete sessions oldest first (the longest waiting on top), complete ones newest first."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> tuple[str, ...]:
        if view.session_state == SessionState.INCOMPLETE:
            return ("first_seen_at", "id")
        return ("-first_seen_at", "-id")


class SessionViewSet(viewsets.ReadOnlyModelViewSet[Session]):
    """Downlink sessions (`?state=incomplete`, the default, or `complete`) with their DSIB and DSDB status per channel
    and exactly which chunks are missing."""

    serializer_class = SessionOutputSerializer
    permission_classes = [IsOperator]
    pagination_class = SessionPagination
    session_state = SessionState.INCOMPLETE

    def get_queryset(self) -> QuerySet[Session]:
        params = SessionFilterInputSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        self.session_state = params.validated_data["state"]
        return selectors.sessions_in_state(state=self.session_state)

    @extend_schema(parameters=[SessionFilterInputSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = selectors.session_by_id(pk=_id(kwargs["pk"], "session"))
        return Response(SessionOutputSerializer(session).data)


class QuarantinePagination(StandardCursorPagination):
    ordering = ("-finished_at", "-id")


class QuarantineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[InboxEntry]):
    """Failed inbox entries, newest failure first (`?inbox=<name>`, `?reason=<text>`), with their reason and, when the
    bytes could be read, a copy kept under quarantine/. Any entry can be read by id (its state shows a retry's
    progress); only failed ones can be retried."""

    serializer_class = EntryOutputSerializer
    permission_classes = [IsOperator]
    pagination_class = QuarantinePagination

    def get_queryset(self) -> QuerySet[InboxEntry]:
        params = QuarantineFilterInputSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return selectors.entries_failed(inbox_id=data.get("inbox"), reason=data.get("reason", ""))

    @extend_schema(parameters=[QuarantineFilterInputSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(EntryOutputSerializer(selectors.entry_get(entry_id=_id(kwargs["pk"], "inbox entry"))).data)

    @extend_schema(request=None, responses={200: EntryOutputSerializer, 404: OpenApiTypes.OBJECT,
                                            409: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        """Read the item again from its source: the failed entry goes back to pending with its attempts reset and
        workers are sent for it (409 when it is not failed)."""
        return Response(EntryOutputSerializer(services.entry_retry(entry_id=_id(pk, "inbox entry"))).data)

    @extend_schema(request=None, responses={200: EntryOutputSerializer, 404: OpenApiTypes.OBJECT,
                                            409: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def purge(self, request: Request, pk: str) -> Response:
        """Delete the quarantine copy; the entry keeps its state and reason (409 when it has no copy)."""
        return Response(EntryOutputSerializer(services.entry_quarantine_purge(entry_id=_id(pk, "inbox entry"))).data)

    @extend_schema(responses={307: OpenApiResponse(description="Redirect to a short-lived URL of the copy"),
                              404: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> Response:
        """The quarantine copy as received (409 when none was kept)."""
        url = selectors.quarantine_download_url(entry_id=_id(pk, "inbox entry"))
        return Response(status=307, headers={"Location": url, "Cache-Control": "no-store"})
