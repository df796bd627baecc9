"""What the API answers, independent of the HTTP machinery that sends it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

JSON = "application/json"
HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


@dataclass
class Reply:
    """One response, or a dropped connection; kept as data so the logic is testable alone.

    Attributes:
        status: HTTP status code.
        body: Exact bytes to send (Content-Length is always its length).
        content_type: Content-Type header.
        headers: Extra headers, e.g. Retry-After.
        delay: Seconds to wait before answering (latency, the slow fault).
        drop: Close the connection without answering at all.
        after: Called once the response has been sent (mutation after a served page).
    """

    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    after: Callable[[], Any] | None = None


def json_reply(status: int, payload: object) -> Reply:
    """Serialize a payload compactly, as the real API does."""
    return Reply(status, json.dumps(payload, separators=(",", ":")).encode())


def message(status: int, text: str) -> Reply:
    """The API's error shape: ``{"message": "..."}``."""
    return json_reply(status, {"message": text})


def page_body(rows: list[bytes]) -> bytes:
    """A JSON array of already-serialized rows, built with one join (one copy, even at 1M rows)."""
    if not rows:
        return b"[]"
    parts = [b","] * (2 * len(rows) + 1)
    parts[0] = b"["
    parts[1::2] = rows
    parts[-1] = b"]"
    return b"".join(parts)
