"""Enumerations of ingestion. Values are stored in the database: never rename one without a migration."""

from django.db import models


class InboxKind(models.TextChoices):
    DIRECTORY = "directory", "Local or NFS directory"
    S3 = "s3", "S3 bucket prefix"
    ODATA = "odata", "OData Products pickup point (PRIP, AUXIP, CDSE)"
    CADIP = "cadip", "CADIP pickup point (Sessions, Files)"


class AuthKind(models.TextChoices):
    NONE = "none", "None"
    BASIC = "basic", "HTTP Basic"
    BEARER = "bearer", "Static bearer token"
    OAUTH2_CLIENT = "oauth2_client_credentials", "OAuth2 client credentials"
    OAUTH2_PASSWORD = "oauth2_password", "OAuth2 password grant"


class EntryState(models.TextChoices):
    """Life of one entry of an inbox (reference-system.md §6): seen → stable → transferred → catalogued."""

    WAITING = "waiting", "Waiting until stable"
    PENDING = "pending", "Pending transfer"
    TRANSFERRING = "transferring", "Transferring"
    INGESTED = "ingested", "Ingested"
    SKIPPED = "skipped", "Skipped (sampling or source)"
    FAILED = "failed", "Failed"


# States an entry never leaves by itself (only an operator's retry or a changed source file moves it).
TERMINAL_STATES = frozenset({EntryState.INGESTED, EntryState.SKIPPED, EntryState.FAILED})


class SessionState(models.TextChoices):
    INCOMPLETE = "incomplete", "Incomplete"
    COMPLETE = "complete", "Complete"


class SessionFileKind(models.TextChoices):
    DSIB = "DSIB", "Session descriptor (DSIB)"
    DSDB = "DSDB", "Session chunk (DSDB)"
