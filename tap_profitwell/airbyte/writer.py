"""The tap's message writer for Airbyte: Singer messages in, Airbyte messages out.

The SDK hands every message a tap produces to its ``message_writer``; this one translates
instead of printing Singer JSON, so the tap runs unchanged in process.
"""

from __future__ import annotations

import copy
import typing as t
from collections import Counter

from singer_sdk.io_base import GenericSingerWriter
from singer_sdk.singerlib import Message, RecordMessage, SchemaMessage, StateMessage

from tap_profitwell.airbyte.messages import (
    AirbyteStreamStatus,
    now_ms,
    record_message,
    state_message,
    stream_status,
    to_json,
)

if t.TYPE_CHECKING:
    from airbyte_protocol.models import AirbyteMessage

    from tap_profitwell.airbyte.output import Output


class AirbyteWriter(GenericSingerWriter[str, Message]):
    """Translates the tap's RECORD, STATE and SCHEMA messages for the selected streams.

    A Singer STATE carries every stream's bookmark; each selected stream's is sent as its own
    per-stream STATE when it changed or records were sent since, with that record count.
    SCHEMA (the start of a stream) becomes a STARTED stream status; ACTIVATE_VERSION and BATCH
    have no Airbyte counterpart and are dropped.
    """

    def __init__(self, output: Output, streams: t.Collection[str]) -> None:
        """Write to ``output``, for the ``streams`` the configured catalog selected."""
        self._output = output
        self._selected = frozenset(streams)
        self._started: list[str] = []
        self._unsaved: Counter[str] = Counter()
        self._saved: dict[str, dict[str, t.Any]] = {}

    def translate(self, message: Message) -> list[AirbyteMessage]:
        """The Airbyte messages that say what this Singer message says (maybe none)."""
        if isinstance(message, RecordMessage):
            return self._record(message)
        if isinstance(message, StateMessage):
            return self._state(message)
        if isinstance(message, SchemaMessage) and message.stream in self._selected:
            if message.stream in self._started:
                return []
            self._started.append(message.stream)
            return [stream_status(message.stream, AirbyteStreamStatus.STARTED)]
        return []

    def _record(self, message: RecordMessage) -> list[AirbyteMessage]:
        if message.stream not in self._selected:
            return []
        extracted = message.time_extracted
        emitted_at = int(extracted.timestamp() * 1000) if extracted else now_ms()
        self._unsaved[message.stream] += 1
        return [record_message(message.stream, message.record, emitted_at)]

    def _state(self, message: StateMessage) -> list[AirbyteMessage]:
        bookmarks = message.value.get("bookmarks") or {}
        result = []
        for stream, bookmark in bookmarks.items():
            if stream not in self._selected or not isinstance(bookmark, dict):
                continue
            if self._saved.get(stream) == bookmark and not self._unsaved[stream]:
                continue
            result.append(state_message(stream, bookmark, self._unsaved.pop(stream, 0)))
            self._saved[stream] = copy.deepcopy(bookmark)
        return result

    def finish(self, *, succeeded: bool) -> None:
        """Close every stream that started: COMPLETE after a clean sync, INCOMPLETE if not."""
        status = AirbyteStreamStatus.COMPLETE if succeeded else AirbyteStreamStatus.INCOMPLETE
        for stream in self._started:
            self._output.emit(stream_status(stream, status))
        self._output.flush()

    def serialize_message(self, message: Message) -> str:
        """The translation as JSON lines (empty when nothing is sent for this message)."""
        return "\n".join(to_json(m) for m in self.translate(message))

    def write_message(self, message: Message) -> None:
        """Send the translation to the platform."""
        for airbyte_message in self.translate(message):
            self._output.emit(airbyte_message)


class DiscardingWriter(GenericSingerWriter[str, Message]):
    """Drops everything: ``check`` reads one record to prove access, and prints none."""

    def serialize_message(self, message: Message) -> str:  # noqa: ARG002
        """Nothing."""
        return ""

    def write_message(self, message: Message) -> None:
        """Nothing."""
