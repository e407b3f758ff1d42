"""AckIds in CDSE's shape: base64 of "<position>-0:<subscription id>" (position: the notification's id, so that an
AckId acknowledges that notification and every earlier one of its queue)."""

from __future__ import annotations

import base64
import binascii
import re
import uuid

from rs.subscriptions.errors import InvalidSubscription

_DECODED = re.compile(r"([0-9]{1,19})-0:([0-9a-f-]{36})")


def ack_id_make(*, notification_id: int, subscription_id: uuid.UUID) -> str:
    return base64.b64encode(f"{notification_id}-0:{subscription_id}".encode()).decode("ascii")


def ack_id_read(text: str, *, subscription_id: uuid.UUID) -> int:
    """The notification id an AckId names; InvalidSubscription (400) for anything else or another queue's id."""
    # a '+' sent unencoded arrives as a space once the query string is decoded
    raw = text.strip().replace(" ", "+")
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        decoded = ""
    match = _DECODED.fullmatch(decoded)
    if match is None:
        raise InvalidSubscription(f"{text[:100]!r} is not an AckId of this service", target="$ackid")
    if match.group(2) != str(subscription_id):
        raise InvalidSubscription("The AckId belongs to another subscription", target="$ackid")
    return int(match.group(1))
