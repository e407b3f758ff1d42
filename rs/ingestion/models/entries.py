from __future__ import annotations

from django.db import models
from django.db.models import Q

from rs.ingestion.choices import EntryState
from rs.ingestion.models.inboxes import Inbox


class InboxEntry(models.Model):
    """One item seen in an inbox (a file, a folder product, an object, a remote product or session file).

    The row is the truth of its ingestion: a restart resumes from these rows, and the (inbox, key) constraint is why
    nothing is ingested twice. Rows are written only by `rs.ingestion.services`.
    """

    # No index of its own: the unique (inbox, key) index leads with the inbox and serves every lookup by inbox (one
    # index less for each of the millions of entries a poll records).
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="entries", db_index=False)
    key = models.CharField(max_length=1024, help_text="Relative path, object key or remote id within the inbox.")
    name = models.CharField(max_length=1024, help_text="What identification reads: relative path or product name.")
    size = models.BigIntegerField(null=True, blank=True)
    fingerprint = models.CharField(max_length=256, blank=True, default="",
                                   help_text="Size and date (or ETag) when last listed: stability and changes.")
    source_time = models.DateTimeField(null=True, blank=True, help_text="t0: modification or publication time.")
    source_md5 = models.CharField(max_length=32, blank=True, default="")
    source_blake3 = models.CharField(max_length=64, blank=True, default="")
    remote = models.JSONField(default=dict, blank=True, help_text="What the source needs to fetch the item.")

    state = models.CharField(max_length=16, choices=EntryState.choices, default=EntryState.WAITING)
    reason = models.TextField(blank=True, default="", help_text="Why it was skipped or failed; last retryable error.")
    quarantine_key = models.CharField(max_length=1024, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    claim_token = models.UUIDField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    product_name = models.CharField(max_length=255, blank=True, default="")
    product_id = models.UUIDField(null=True, blank=True, help_text="The catalogue product (planned id until then).")

    first_seen_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "inbox entries"
        constraints = [
            models.UniqueConstraint(fields=["inbox", "key"], name="inbox_entry_unique_key"),
            # Two entries carrying the same product (two inboxes, a re-delivery) never transfer at the same time:
            # they would write the same object key.
            models.UniqueConstraint(
                fields=["product_name"], name="inbox_entry_one_transfer_per_product",
                condition=Q(state=EntryState.TRANSFERRING) & ~Q(product_name=""),
            ),
        ]
        indexes = [
            models.Index(fields=["inbox", "state", "next_attempt_at"], name="inbox_entry_claim"),
            models.Index(fields=["state", "heartbeat_at"], name="inbox_entry_transferring",
                         condition=Q(state=EntryState.TRANSFERRING)),
            models.Index(fields=["finished_at"], name="inbox_entry_quarantined",
                         condition=~Q(quarantine_key="")),
            # the inbox status: entries in a state, and entries of a state finished within a window (with their inbox)
            models.Index(fields=["state", "finished_at", "inbox"], name="inbox_entry_finished"),
            # the quarantine of one inbox, newest failure first (inbox_entry_finished serves every inbox)
            models.Index(fields=["inbox", "-finished_at", "-id"], name="inbox_entry_failed_inbox",
                         condition=Q(state=EntryState.FAILED)),
        ]

    def __str__(self) -> str:
        return f"{self.inbox_id}:{self.key}"
