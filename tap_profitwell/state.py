"""What the tap accepts as its incoming state, and the state it leaves after a failure.

A state comes from a file a person may have written, a target's last STATE line, or an
orchestrator; each problem in it stops the tap before any request with one line that says
what is wrong, rather than a traceback or a silent full resync.
"""

from __future__ import annotations

import copy
import io
import json
import typing as t

from tap_profitwell.timestamps import format_timestamp, parse_user_datetime

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class InvalidStateError(ValueError):
    """The incoming state cannot be resumed from: not JSON, or a bookmark that is not usable."""


def checked_state_file(file: t.IO[str]) -> t.IO[str]:
    """The ``--state`` file, once it is known to hold a JSON object.

    Raises:
        InvalidStateError: naming the file and what is wrong with it.
    """
    name = getattr(file, "name", "--state")
    text = file.read()
    try:
        state = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        msg = f"The state file {name} is not JSON: {exc}"
        raise InvalidStateError(msg) from None
    if not isinstance(state, dict):
        msg = f"The state file {name} holds a JSON {type(state).__name__}, not an object"
        raise InvalidStateError(msg)
    return io.StringIO(text if text.strip() else "{}")


#: Keys a Singer state may have besides ``bookmarks``.
_STATE_KEYS = frozenset({"bookmarks", "currently_syncing"})


def unwrapped_state(state: dict[str, t.Any]) -> dict[str, t.Any]:
    """The Singer state itself, from the wrappers it is often handed over in.

    A whole STATE message (a target's last line) and the output of ``meltano state get``
    (``{"singer_state": ...}``) are unwrapped; anything else that is not a Singer state is
    refused rather than read as "no bookmarks", which would resync everything.

    Raises:
        InvalidStateError: naming the keys found.
    """
    if state.get("type") == "STATE" and isinstance(state.get("value"), dict):
        state = state["value"]
    elif set(state) == {"singer_state"} and isinstance(state["singer_state"], dict):
        state = state["singer_state"]
    if state and not set(state) & _STATE_KEYS:
        msg = (
            f"The state has no bookmarks (its keys: {', '.join(sorted(map(str, state)))}); a "
            'Singer state looks like {"bookmarks": {"customers": {"replication_key": '
            '"updated_on", "replication_key_value": "..."}}}'
        )
        raise InvalidStateError(msg)
    return t.cast("dict[str, t.Any]", state)


def expand_cursor_bookmarks(
    state: dict[str, t.Any], replication_keys: dict[str, str | None]
) -> None:
    """Read the short forms of a bookmark as the SDK's, in place.

    ``{"updated_on": "..."}`` (hand-written) and a ``replication_key_value`` without its
    ``replication_key`` both mean the stream's own key; the SDK would ignore either.
    """
    for name, bookmark in _stream_bookmarks(state).items():
        key = replication_keys.get(name)
        if not isinstance(bookmark, dict) or key is None or "replication_key" in bookmark:
            continue
        if "replication_key_value" in bookmark:
            bookmark["replication_key"] = key
        elif key in bookmark:
            bookmark["replication_key"] = key
            bookmark["replication_key_value"] = bookmark.pop(key)


def _stream_bookmarks(state: dict[str, t.Any]) -> dict[str, t.Any]:
    bookmarks = state.get("bookmarks")
    return bookmarks if isinstance(bookmarks, dict) else {}


def check_bookmarks(state: dict[str, t.Any], replication_keys: dict[str, str | None]) -> None:
    """Refuse a bookmark on another field: its value says nothing about ``updated_on``.

    Raises:
        InvalidStateError: naming the stream and the two fields.
    """
    if not isinstance(state.get("bookmarks"), dict):
        msg = "The state's bookmarks must be a JSON object of stream names to bookmarks"
        raise InvalidStateError(msg)
    for name, bookmark in _stream_bookmarks(state).items():
        if not isinstance(bookmark, dict):
            msg = f"The state's bookmark for {name} is not a JSON object"
            raise InvalidStateError(msg)
        if "replication_key_value" in bookmark and bookmark["replication_key_value"] is None:
            msg = f"The state's bookmark for {name} is null: remove it to start from start_date"
            raise InvalidStateError(msg)
        key = bookmark.get("replication_key")
        expected = replication_keys.get(name)
        if key is not None and expected is not None and key != expected:
            msg = (
                f"The state's bookmark for {name} is on {key!r}, but the stream's replication "
                f"key is {expected!r}: remove that bookmark to start from start_date."
            )
            raise InvalidStateError(msg)


def unknown_streams(state: dict[str, t.Any], streams: t.Mapping[str, Stream]) -> list[str]:
    """Streams the state has bookmarks for that this tap does not have (a typo, most often)."""
    return [name for name in _stream_bookmarks(state) if name not in streams]


#: What the SDK keeps in a stream's state while it syncs, and drops when it finishes.
_SYNC_ONLY_KEYS = ("replication_key_signpost", "starting_replication_value")


def resumable_state(state: dict[str, t.Any]) -> dict[str, t.Any]:
    """The state to resume from after a failure: the bookmarks as a finished sync writes them.

    Records go out in ``updated_on`` order, so the bookmark so far is where the next run
    starts; the SDK's in-sync markers are left out, as its own finish does.
    """
    clean = copy.deepcopy(state)
    for bookmark in _stream_bookmarks(clean).values():
        if isinstance(bookmark, dict):
            for key in _SYNC_ONLY_KEYS:
                bookmark.pop(key, None)
    return clean


def with_canonical_bookmarks(state: dict[str, t.Any]) -> dict[str, t.Any]:
    """Rewrite bookmark values in the canonical timestamp form the stream compares with.

    A state written by hand or by another tool may say ``2024-01-01T00:00:00Z``; the records
    say ``2024-01-01T00:00:00.000000Z``, and as strings the first sorts after the second.
    """
    bookmarks = state.get("bookmarks") if isinstance(state, dict) else None
    if not isinstance(bookmarks, dict):
        return state
    for stream_state in bookmarks.values():
        value = (
            stream_state.get("replication_key_value") if isinstance(stream_state, dict) else None
        )
        if value is None:
            continue
        try:
            stream_state["replication_key_value"] = format_timestamp(parse_user_datetime(value))
        except ValueError:
            continue  # reported by the stream, which names the stream and the value
    return state
