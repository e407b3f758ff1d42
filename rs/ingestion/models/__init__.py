from rs.ingestion.models.entries import InboxEntry
from rs.ingestion.models.inboxes import Inbox, SamplingRule
from rs.ingestion.models.sessions import Session, SessionFile

__all__ = ["Inbox", "InboxEntry", "SamplingRule", "Session", "SessionFile"]
