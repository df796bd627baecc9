"""The platform's saved state as the tap's Singer state.

A stream's Airbyte ``stream_state`` is the tap's Singer bookmark for it, verbatim, e.g.
``{"replication_key": "updated_on", "replication_key_value": "2026-01-02T03:04:05.000000Z"}``,
so nothing is lost in translation. Accepted as input: a list of per-stream (or global) state
messages, as the platform passes today; the legacy single blob (a Singer state with
``bookmarks``, or a mapping of stream name to stream state, or a ``LEGACY`` message); and for
hand-written states, a stream state of the form ``{"updated_on": "..."}``.
"""

from __future__ import annotations

import typing as t

from airbyte_protocol.models import AirbyteStateMessage, AirbyteStateType
from pydantic import ValidationError

REPLICATION_KEY = "replication_key"
REPLICATION_KEY_VALUE = "replication_key_value"


class StateError(ValueError):
    """The state given to ``read`` is not in any shape this source knows."""


def _as_dict(blob: object) -> dict[str, t.Any]:
    if blob is None:
        return {}
    if hasattr(blob, "model_dump"):
        return t.cast("dict[str, t.Any]", blob.model_dump(exclude_unset=True))
    if isinstance(blob, dict):
        return dict(blob)
    msg = f"a stream state must be a JSON object, not {type(blob).__name__}"
    raise StateError(msg)


def _stream_states(messages: list[t.Any]) -> dict[str, dict[str, t.Any]]:
    """Stream name to stream state, from a list of state messages."""
    states: dict[str, dict[str, t.Any]] = {}
    for raw in messages:
        try:
            message = AirbyteStateMessage.model_validate(raw)
        except ValidationError as exc:
            msg = f"not an Airbyte state message: {exc.errors()[0]['msg']}"
            raise StateError(msg) from None
        if message.type == AirbyteStateType.GLOBAL and message.global_ is not None:
            for stream in message.global_.stream_states:
                states[stream.stream_descriptor.name] = _as_dict(stream.stream_state)
        elif message.type == AirbyteStateType.STREAM and message.stream is not None:
            name = message.stream.stream_descriptor.name
            states[name] = _as_dict(message.stream.stream_state)
        elif message.data is not None:  # LEGACY, or untyped as before protocol 0.3
            states.update(_legacy_states(message.data))
        else:
            msg = f"a {message.type} state message without its content"
            raise StateError(msg)
    return states


def _legacy_states(blob: t.Mapping[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    """Stream name to stream state, from a legacy blob."""
    bookmarks = blob.get("bookmarks", blob)
    if not isinstance(bookmarks, dict):
        msg = "the legacy state's bookmarks must be a JSON object"
        raise StateError(msg)
    return {name: _as_dict(state) for name, state in bookmarks.items()}


def _singer_bookmark(stream_state: dict[str, t.Any], cursor: str | None) -> dict[str, t.Any]:
    """A stream state as the tap's bookmark, reading ``{cursor: value}`` when given so."""
    if REPLICATION_KEY_VALUE in stream_state or cursor is None or cursor not in stream_state:
        return stream_state
    return {REPLICATION_KEY: cursor, REPLICATION_KEY_VALUE: stream_state[cursor]}


def _cursor_only_stream(raw: dict[str, t.Any], cursors: t.Mapping[str, str]) -> str | None:
    """The stream a blob like ``{"updated_on": "..."}`` is for: the one incremental stream."""
    if len(cursors) != 1:
        return None
    ((stream, cursor),) = cursors.items()
    return stream if set(raw) == {cursor} and isinstance(raw[cursor], str) else None


def singer_state(
    raw: object,
    *,
    cursors: t.Mapping[str, str] | None = None,
    ignore: t.Collection[str] = (),
) -> dict[str, t.Any]:
    """The Singer state for the tap, from whatever the platform saved.

    Args:
        raw: The parsed ``--state`` file, or None.
        cursors: Each incremental stream's cursor field.
        ignore: Streams whose state is dropped (those read in full refresh).

    Raises:
        StateError: the state's shape is not one this source knows.
    """
    if raw is None or raw in ({}, []):
        return {}
    if isinstance(raw, dict) and "type" in raw:
        raw = [raw]  # a single state message rather than a list of them
    cursors = cursors or {}
    if isinstance(raw, list):
        states = _stream_states(raw)
    elif isinstance(raw, dict) and (stream := _cursor_only_stream(raw, cursors)):
        states = {stream: raw}  # hand-written: {"updated_on": "..."} for the only stream
    elif isinstance(raw, dict):
        states = _legacy_states(raw)
    else:
        msg = f"the state must be a JSON list or object, not {type(raw).__name__}"
        raise StateError(msg)
    bookmarks = {
        name: _singer_bookmark(state, cursors.get(name))
        for name, state in states.items()
        if name not in ignore and state
    }
    return {"bookmarks": bookmarks} if bookmarks else {}
