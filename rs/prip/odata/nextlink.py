"""@odata.nextLink (prip-odata.md §7): absolute, form-encoded like CDSE (`%24filter=…+eq+%27…%27`), the request's
parameters in their order, `%24skip` replaced in place (or appended) while ≤ 10000, `%24skiptoken` always."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from rs.prip.constants import MAX_SKIP


def next_link(*, base_url: str, params: Sequence[tuple[str, str]], next_offset: int, skiptoken: str) -> str:
    result: list[tuple[str, str]] = []
    skip_written = token_written = False
    for name, value in params:
        if name == "$skip":
            if next_offset <= MAX_SKIP and not skip_written:
                result.append((name, str(next_offset)))
                skip_written = True
            continue  # beyond the wall only the token pages on (eodag then stops where it stops on CDSE)
        if name == "$skiptoken":
            if not token_written:
                result.append((name, skiptoken))
                token_written = True
            continue
        result.append((name, value))
    if not skip_written and next_offset <= MAX_SKIP:
        result.append(("$skip", str(next_offset)))
    if not token_written:
        result.append(("$skiptoken", skiptoken))
    return f"{base_url}?{urlencode(result)}"
