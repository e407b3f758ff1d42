"""Shapes of the ingestion operator API: inbox status, downlink sessions, quarantined (failed) entries."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rs.errors import NotFound
from rs.ingestion import selectors
from rs.ingestion.choices import EntryState, SessionState
from rs.ingestion.configuration import inbox_config_errors
from rs.ingestion.models import Inbox, InboxEntry, Session
from rs.ingestion.sessions import SessionMissing, session_channels, session_missing

STATUS_DEFAULT_HOURS = 24
STATUS_MAX_HOURS = 24 * 30


class InboxStatusInputSerializer(serializers.Serializer[Any]):
    hours = serializers.IntegerField(min_value=1, max_value=STATUS_MAX_HOURS, default=STATUS_DEFAULT_HOURS,
                                     help_text="Window of the `finished` counts, in hours back from now.")


class OpenEntryCountsSerializer(serializers.Serializer[Any]):
    """Entries in these states now, whatever their age."""

    waiting = serializers.IntegerField(help_text="Seen, not stable yet.")
    pending = serializers.IntegerField(help_text="Stable, waiting for a worker (or for a retry after a failure).")
    transferring = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Every failed entry: the quarantine of this inbox.")


class FinishedEntryCountsSerializer(serializers.Serializer[Any]):
    """Entries that finished within the window."""

    ingested = serializers.IntegerField(source="ingested_since")
    skipped = serializers.IntegerField(source="skipped_since")
    failed = serializers.IntegerField(source="failed_since")


class InboxStatusOutputSerializer(serializers.ModelSerializer[Inbox]):
    entries = OpenEntryCountsSerializer(source="*")
    finished = FinishedEntryCountsSerializer(source="*")
    finished_since = serializers.SerializerMethodField()
    last_poll_ok = serializers.SerializerMethodField()
    polling = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()

    class Meta:
        model = Inbox
        fields = ("id", "name", "kind", "enabled", "location", "publish", "poll_interval_s", "last_polled_at",
                  "last_poll_ok", "last_poll_error", "next_poll_at", "polling", "entries", "finished",
                  "finished_since", "problems")

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_finished_since(self, obj: Inbox) -> str:
        return serializers.DateTimeField().to_representation(self.context["since"])

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_last_poll_ok(self, obj: Inbox) -> bool | None:
        """None before the first poll."""
        return None if obj.last_polled_at is None else not obj.last_poll_error

    def get_polling(self, obj: Inbox) -> bool:
        """A poll holds the inbox right now."""
        return obj.poll_lease_until is not None and obj.poll_lease_until > timezone.now()

    def get_problems(self, obj: Inbox) -> list[str]:
        """What an operator must fix: the configuration's errors, then the last poll's."""
        errors = [f"{field}: {message}" for field, messages in inbox_config_errors(obj).items()
                  for message in messages]
        if obj.last_poll_error:
            errors.append(f"last poll: {obj.last_poll_error}")
        return errors


class SessionFilterInputSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=SessionState.choices, default=SessionState.INCOMPLETE,
                                    help_text="Incomplete sessions come oldest first, complete ones newest first.")


class ChannelStatusSerializer(serializers.Serializer[Any]):
    channel = serializers.IntegerField()
    dsib = serializers.CharField(allow_null=True, help_text="The channel's DSIB, null until it is catalogued.")
    chunks_listed = serializers.IntegerField(help_text="DSDB chunks the DSIB lists (0 without DSIB).")
    chunks_received = serializers.IntegerField(help_text="DSDB chunks of this channel catalogued.")
    missing_chunks = serializers.ListField(child=serializers.CharField(),
                                           help_text="Listed by the DSIB, not catalogued yet.")


class SessionOutputSerializer(serializers.ModelSerializer[Session]):
    missing_dsib_channels = serializers.SerializerMethodField()
    missing_chunks = serializers.SerializerMethodField()
    channel_status = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = ("id", "session_id", "satellite", "mission", "station", "state", "channels", "first_seen_at",
                  "completed_at", "product_id", "missing_dsib_channels", "missing_chunks", "channel_status")

    def _missing(self, obj: Session) -> SessionMissing:
        """Both missing_* fields come from one pass over the session's files (a page's serializer is shared)."""
        known: dict[int, SessionMissing] = self.__dict__.setdefault("_missing_by_session", {})
        if obj.pk not in known:
            known[obj.pk] = session_missing(obj)
        return known[obj.pk]

    def get_missing_dsib_channels(self, obj: Session) -> list[int]:
        return list(self._missing(obj).dsib_channels)

    def get_missing_chunks(self, obj: Session) -> list[str]:
        return list(self._missing(obj).chunks)

    @extend_schema_field(ChannelStatusSerializer(many=True))
    def get_channel_status(self, obj: Session) -> list[dict[str, Any]]:
        return [dict(ChannelStatusSerializer(status).data) for status in session_channels(obj)]


class QuarantineFilterInputSerializer(serializers.Serializer[Any]):
    inbox = serializers.CharField(required=False, max_length=64, help_text="Only this inbox (its name).")
    reason = serializers.CharField(required=False, max_length=200,
                                   help_text="Only failures whose reason contains this (any case).")

    def validate_inbox(self, value: str) -> int:
        try:
            return selectors.inbox_get_by_name(name=value).pk
        except NotFound as exc:
            raise serializers.ValidationError(str(exc)) from None


class EntryOutputSerializer(serializers.ModelSerializer[InboxEntry]):
    inbox = serializers.CharField(source="inbox.name")
    quarantined = serializers.SerializerMethodField()
    product_id = serializers.SerializerMethodField()

    class Meta:
        model = InboxEntry
        fields = ("id", "inbox", "key", "name", "size", "state", "reason", "attempts", "quarantined",
                  "quarantine_key", "product_name", "product_id", "source_time", "first_seen_at", "finished_at")

    def get_quarantined(self, obj: InboxEntry) -> bool:
        """A copy of the bytes as received is kept in quarantine."""
        return bool(obj.quarantine_key)

    @extend_schema_field(OpenApiTypes.UUID)
    def get_product_id(self, obj: InboxEntry) -> str | None:
        """The catalogued product, once ingested (before, the entry only holds the id it plans to use)."""
        return str(obj.product_id) if obj.state == EntryState.INGESTED and obj.product_id else None
