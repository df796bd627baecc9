"""Builders for the Airbyte messages the source prints, all from the protocol's own models.

Building through the pydantic models validates each message as it is made, so a malformed one
fails here, in the source, rather than in the platform reading it.
"""

from __future__ import annotations

import time
import typing as t

from airbyte_protocol.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteErrorTraceMessage,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateStats,
    AirbyteStateType,
    AirbyteStreamState,
    AirbyteStreamStatus,
    AirbyteStreamStatusTraceMessage,
    AirbyteTraceMessage,
    ConnectorSpecification,
    FailureType,
    Level,
    Status,
    StreamDescriptor,
    TraceType,
    Type,
)

__all__ = [
    "AirbyteStreamStatus",
    "FailureType",
    "Level",
    "catalog_message",
    "connection_status",
    "error_trace",
    "log_message",
    "now_ms",
    "record_message",
    "spec_message",
    "state_message",
    "stream_status",
    "to_json",
]


def now_ms() -> int:
    """Milliseconds since the epoch, the protocol's unit for ``emitted_at``."""
    return time.time_ns() // 1_000_000


def to_json(message: AirbyteMessage) -> str:
    """One line of JSON with only the fields that were set (``global`` under its alias)."""
    return message.model_dump_json(exclude_unset=True, by_alias=True)


def spec_message(spec: ConnectorSpecification) -> AirbyteMessage:
    """The answer to ``spec``."""
    return AirbyteMessage(type=Type.SPEC, spec=spec)


def catalog_message(catalog: AirbyteCatalog) -> AirbyteMessage:
    """The answer to ``discover``."""
    return AirbyteMessage(type=Type.CATALOG, catalog=catalog)


def connection_status(message: str | None = None) -> AirbyteMessage:
    """The answer to ``check``: SUCCEEDED without a message, FAILED with one."""
    if message is None:
        status = AirbyteConnectionStatus(status=Status.SUCCEEDED)
    else:
        status = AirbyteConnectionStatus(status=Status.FAILED, message=message)
    return AirbyteMessage(type=Type.CONNECTION_STATUS, connectionStatus=status)


def record_message(stream: str, data: dict[str, t.Any], emitted_at: int) -> AirbyteMessage:
    """One record of a stream."""
    record = AirbyteRecordMessage(stream=stream, data=data, emitted_at=emitted_at)
    return AirbyteMessage(type=Type.RECORD, record=record)


def state_message(stream: str, stream_state: t.Mapping[str, t.Any], records: int) -> AirbyteMessage:
    """A per-stream checkpoint, with the count of records emitted since the previous one."""
    state = AirbyteStateMessage(
        type=AirbyteStateType.STREAM,
        stream=AirbyteStreamState(
            stream_descriptor=StreamDescriptor(name=stream),
            stream_state=AirbyteStateBlob(**stream_state),
        ),
        sourceStats=AirbyteStateStats(recordCount=float(records)),
    )
    return AirbyteMessage(type=Type.STATE, state=state)


def log_message(level: Level, text: str, stack_trace: str | None = None) -> AirbyteMessage:
    """A log line for the platform's log."""
    log = AirbyteLogMessage(level=level, message=text)
    if stack_trace:
        log.stack_trace = stack_trace
    return AirbyteMessage(type=Type.LOG, log=log)


def error_trace(
    text: str,
    failure_type: FailureType,
    *,
    internal_message: str | None = None,
    stack_trace: str | None = None,
) -> AirbyteMessage:
    """The error that ended a command, shown to the user as the reason the sync failed."""
    error = AirbyteErrorTraceMessage(message=text, failure_type=failure_type)
    if internal_message:
        error.internal_message = internal_message
    if stack_trace:
        error.stack_trace = stack_trace
    trace = AirbyteTraceMessage(type=TraceType.ERROR, emitted_at=float(now_ms()), error=error)
    return AirbyteMessage(type=Type.TRACE, trace=trace)


def stream_status(stream: str, status: AirbyteStreamStatus) -> AirbyteMessage:
    """Where a stream is in the sync, for the platform's per-stream progress."""
    stream_status = AirbyteStreamStatusTraceMessage(
        stream_descriptor=StreamDescriptor(name=stream), status=status
    )
    trace = AirbyteTraceMessage(
        type=TraceType.STREAM_STATUS, emitted_at=float(now_ms()), stream_status=stream_status
    )
    return AirbyteMessage(type=Type.TRACE, trace=trace)
