"""The tap: settings, stream choice and state handling."""

from __future__ import annotations

import copy
import io
import json
import sys
import typing as t

from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from typing_extensions import override

from tap_profitwell.client import ProfitWellStream
from tap_profitwell.output import SingerOutput
from tap_profitwell.pages import InvalidCustomerError
from tap_profitwell.paginator import TieBlockTooLargeError
from tap_profitwell.retries import RetriesExhaustedError
from tap_profitwell.settings import CONFIG_SCHEMA, resolve_settings
from tap_profitwell.streams import CustomersByIdStream, CustomersStream, InvalidStateError
from tap_profitwell.timestamps import format_timestamp, parse_user_datetime

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

#: Failures whose message says all a user needs; the CLI prints them as one line, no traceback.
EXPLAINED_ERRORS = (
    FatalAPIError,
    RetriesExhaustedError,
    TieBlockTooLargeError,
    InvalidCustomerError,
    InvalidStateError,
)


class TapProfitWell(Tap):
    """Singer tap for ProfitWell's Customers API."""

    name = "tap-profitwell"
    #: A copy: the SDK adds its built-in settings to this dict in place, and CONFIG_SCHEMA stays
    #: the tap's own settings (the Airbyte spec is built from it).
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    #: msgspec-encoded, buffered between records (see ``output``): a third of the CPU per record.
    message_writer_class = SingerOutput

    def __init__(self, *, validate_config: bool = True, **kwargs: t.Any) -> None:  # noqa: ANN401
        """Validate the config's schema and rules, and never echo the token in an error."""
        try:
            super().__init__(validate_config=validate_config, **kwargs)
        except ConfigValidationError as exc:
            raise redacted(exc, self.config.get("api_token")) from None
        if validate_config:
            resolve_settings(self.config)

    @override
    def discover_streams(self) -> list[Stream]:
        if self.config.get("customer_ids"):
            return [CustomersByIdStream(self)]
        return [CustomersStream(self)]

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        state = unwrapped_state(state)
        if state.get("bookmarks"):
            check_bookmarks(state, {s.name: s.replication_key for s in self.streams.values()})
            for name in unknown_streams(state, self.streams):
                self.logger.warning("The state's bookmark for unknown stream %r is ignored.", name)
        super().load_state(with_canonical_bookmarks(state))

    @override
    def sync_all(self) -> None:
        """Sync, and on any failure still write the state reached so far, then summarise.

        Records go out in ``updated_on`` order and the bookmark is the last one emitted, so the
        state at the moment of failure is a safe place for the next run to resume from.
        """
        try:
            super().sync_all()
        except Exception:
            self.state_writer.write_state(resumable_state(self.state))
            raise
        finally:
            self.flush_output()
            for stream in self.streams.values():
                if isinstance(stream, ProfitWellStream) and stream.selected:
                    self.logger.info(stream.counters.summary(stream.name))

    @override
    def run_connection_test(self) -> bool:
        """The SDK's test sync, then every record it read out to stdout."""
        try:
            return super().run_connection_test()
        finally:
            self.flush_output()

    def flush_output(self) -> None:
        """Write out the RECORD lines the message writer still holds (see ``output``)."""
        if isinstance(self.message_writer, SingerOutput):
            self.message_writer.flush()

    @override
    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run the CLI; a failure the tap can explain ends as one error line and exit code 1."""
        try:
            if kwargs.get("state") is not None:
                kwargs["state"] = checked_state_file(kwargs["state"])
            super().invoke(*args, **kwargs)
        except EXPLAINED_ERRORS as exc:
            cls.logger.error("tap-profitwell stopped: %s", exc)  # noqa: TRY400 - no traceback
            sys.exit(1)


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


def unwrapped_state(state: dict[str, t.Any]) -> dict[str, t.Any]:
    """The state itself, also when given as a whole STATE message (a target's last line)."""
    if state.get("type") == "STATE" and isinstance(state.get("value"), dict):
        return t.cast("dict[str, t.Any]", state["value"])
    return state


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


def redacted(exc: ConfigValidationError, secret: object) -> ConfigValidationError:
    """The same error with every appearance of the secret replaced by asterisks."""
    if secret is None or secret == "":
        return exc
    needles = {str(secret), repr(secret), repr(str(secret))[1:-1]}

    def scrub(text: str) -> str:
        for needle in needles:
            text = text.replace(needle, "'********'")
        return text

    return ConfigValidationError(scrub(str(exc)), errors=[scrub(e) for e in exc.errors])


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
