"""gunicorn's access log with credentials masked: eodag sends its token as `?token=` in the request line.

    gunicorn … --logger-class rs.access.gunicorn_logging.RedactingLogger
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from rs.access.log_redaction import redact


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["r"] = redact(atoms["r"])
        if atoms.get("q"):
            atoms["q"] = redact("?" + atoms["q"])[1:]
        return atoms
