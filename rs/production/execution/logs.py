"""Task output lines: IPF log lines parsed (ipf-interface.md §6.2), other lines kept verbatim, all bounded."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

IPF_LOG_LINE = re.compile(
    r"^(?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\s+(?P<node>\S+)\s+(?P<processor>\S+)\s+"
    r"(?P<version>\S+)\s+\[(?P<pid>\d+)\]:\s+\[(?P<level>[DIPWE])\]\s?(?P<message>.*)$")
MESSAGE_MAX_CHARS = 4000  # one pathological line (a dumped array) must not fill the log table


@dataclass(frozen=True)
class LogLine:
    task: str
    stream: str  # stdout | stderr | rs
    at: datetime
    level: str
    message: str
    node: str = ""
    pid: int | None = None
    ipf_format: bool = True


def line_parse(text: str, *, task: str, stream: str, now: datetime | None = None) -> LogLine:
    """One line as the task wrote it; unparsable lines keep their text, stderr ones at level E."""
    text = text.rstrip("\r\n")
    found = IPF_LOG_LINE.match(text)
    if found:
        try:
            at = datetime.fromisoformat(found["time"]).replace(tzinfo=UTC)
        except ValueError:
            at = now or datetime.now(UTC)
        return LogLine(task=task, stream=stream, at=at, level=found["level"], node=found["node"][:64],
                       pid=int(found["pid"]) if len(found["pid"]) <= 10 else None,
                       message=found["message"][:MESSAGE_MAX_CHARS])
    return LogLine(task=task, stream=stream, at=now or datetime.now(UTC), level="E" if stream == "stderr" else "I",
                   message=text[:MESSAGE_MAX_CHARS], ipf_format=False)


class TaskLog:
    """The lines of one task, both streams interleaved as read, capped at `max_lines` (the rest only counted)."""

    def __init__(self, *, task: str, max_lines: int) -> None:
        self.task = task
        self.max_lines = max_lines
        self.lines: list[LogLine] = []
        self.dropped = 0
        self._lock = threading.Lock()

    def add(self, text: str, *, stream: str) -> None:
        with self._lock:
            if len(self.lines) >= self.max_lines:
                self.dropped += 1
                return
            self.lines.append(line_parse(text, task=self.task, stream=stream))

    def errors(self, limit: int = 3) -> list[str]:
        return [line.message for line in self.lines if line.level == "E"][-limit:]
