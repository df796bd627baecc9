"""The one way out to the platform: Airbyte messages, one JSON line each, on stdout."""

from __future__ import annotations

import threading
import typing as t

from airbyte_protocol.models import AirbyteMessage, Type

from tap_profitwell.airbyte.messages import to_json

if t.TYPE_CHECKING:
    from tap_profitwell.airbyte.redact import Redactor


class Output:
    """Writes messages to a text stream, masking secrets and keeping lines whole.

    Records are left in the stream's buffer for speed; everything else is flushed at once,
    so a checkpoint or an error reaches the platform even if the process dies right after.
    """

    def __init__(self, stream: t.TextIO, redactor: Redactor | None = None) -> None:
        """Write to ``stream`` (the real stdout, kept before anything redirects it)."""
        self._stream = stream
        self._redactor = redactor
        # Reentrant: the SDK's SIGTERM handler logs (and so emits) from whatever frame it
        # interrupts, possibly one inside emit(); a plain lock would deadlock there.
        self._lock = threading.RLock()

    @property
    def redactor(self) -> Redactor | None:
        """The masking applied to every message, or None before the config is known."""
        return self._redactor

    @redactor.setter
    def redactor(self, redactor: Redactor) -> None:
        self._redactor = redactor

    def emit(self, message: AirbyteMessage) -> None:
        """Print one message as one line."""
        if self._redactor is not None:
            message = self._redactor.message(message)
        line = to_json(message) + "\n"
        with self._lock:
            self._stream.write(line)
            if message.type != Type.RECORD:
                self._stream.flush()

    def flush(self) -> None:
        """Push out buffered records."""
        with self._lock:
            self._stream.flush()
