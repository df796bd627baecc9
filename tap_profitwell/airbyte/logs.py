"""Route Python logging (the tap's, the SDK's, warnings) into Airbyte LOG messages."""

from __future__ import annotations

import contextlib
import logging
import typing as t

from tap_profitwell.airbyte.messages import Level, log_message

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_profitwell.airbyte.output import Output

_LEVELS = (
    (logging.CRITICAL, Level.FATAL),
    (logging.ERROR, Level.ERROR),
    (logging.WARNING, Level.WARN),
    (logging.INFO, Level.INFO),
    (logging.DEBUG, Level.DEBUG),
)


def airbyte_level(levelno: int) -> Level:
    """The protocol's level for a Python level (custom levels round down)."""
    for threshold, level in _LEVELS:
        if levelno >= threshold:
            return level
    return Level.TRACE


class AirbyteLogHandler(logging.Handler):
    """Emits each log record as a LOG message; a traceback goes in ``stack_trace``."""

    def __init__(self, output: Output) -> None:
        """Write through ``output``, which masks secrets."""
        super().__init__()
        self._output = output
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Translate and print one record; a failure here must not end the sync."""
        try:
            text = self.format_message(record)
            stack = self.formatter.formatException(record.exc_info) if record.exc_info else None
            self._output.emit(log_message(airbyte_level(record.levelno), text, stack))
        except Exception:  # noqa: BLE001 - logging.Handler's own contract
            self.handleError(record)

    def format_message(self, record: logging.LogRecord) -> str:
        """The message line alone: the traceback is carried separately."""
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return self.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


@contextlib.contextmanager
def logging_to(output: Output, level: int = logging.INFO) -> Iterator[None]:
    """Send all logging to ``output`` for the duration, then restore what was there.

    The root logger's handlers are replaced (not added to) because the SDK's console handler
    would otherwise print the same lines to stderr; warnings are captured as log records.
    """
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    handler = AirbyteLogHandler(output)
    root.handlers = [handler]
    root.setLevel(level)
    logging.captureWarnings(capture=True)
    try:
        yield
    finally:
        logging.captureWarnings(capture=False)
        root.handlers = saved_handlers
        root.setLevel(saved_level)
