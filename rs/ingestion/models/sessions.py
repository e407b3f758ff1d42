from __future__ import annotations

from django.db import models

from rs.ingestion.choices import SessionFileKind, SessionState


class Session(models.Model):
    """A downlink session (X-band, EDRS, CADIP): its DSIB descriptors and DSDB chunks, per channel.

    Complete when both channels' DSIB and every chunk they list are catalogued; only then is the session product
    registered, whose `created` event starts the L0 chains.
    """

    session_id = models.CharField(max_length=64)
    satellite = models.CharField(max_length=3, blank=True, default="", help_text="S1A … ('' when unknown).")
    mission = models.CharField(max_length=2, blank=True, default="")
    station = models.CharField(max_length=16, blank=True, default="")
    channels = models.PositiveSmallIntegerField(default=2)
    state = models.CharField(max_length=16, choices=SessionState.choices, default=SessionState.INCOMPLETE)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    product_id = models.UUIDField(null=True, blank=True, help_text="The session product, once complete.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["satellite", "session_id"], name="session_unique_id")]
        indexes = [models.Index(fields=["state", "first_seen_at"], name="session_state")]

    def __str__(self) -> str:
        return f"{self.satellite or '?'} {self.session_id}"


class SessionFile(models.Model):
    """A catalogued DSIB or DSDB file of a session (an unpublished product of family EDRS_SESSION)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    channel = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=4, choices=SessionFileKind.choices)
    chunk = models.PositiveIntegerField(null=True, blank=True)
    product_id = models.UUIDField()
    listed = models.JSONField(default=list, blank=True, help_text="DSIB: the chunk names it lists.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "name"], name="session_file_unique_name")]

    def __str__(self) -> str:
        return self.name
