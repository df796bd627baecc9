"""The tap: settings, stream choice and state handling."""

from __future__ import annotations

import copy
import os
import signal
import sys
import threading
import typing as t

from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from singer_sdk.helpers.capabilities import TapCapabilities
from typing_extensions import override

from tap_profitwell.client import ProfitWellStream
from tap_profitwell.output import SingerOutput, SyncInterrupted
from tap_profitwell.pages import InvalidCustomerError
from tap_profitwell.paginator import TieBlockTooLargeError
from tap_profitwell.retries import RetriesExhaustedError
from tap_profitwell.settings import CONFIG_SCHEMA, check_environment, resolve_settings
from tap_profitwell.state import (
    InvalidStateError,
    check_bookmarks,
    checked_state_file,
    expand_cursor_bookmarks,
    resumable_state,
    unknown_streams,
    unwrapped_state,
    with_canonical_bookmarks,
)
from tap_profitwell.streams import CustomersByIdStream, CustomersStream

if t.TYPE_CHECKING:
    from types import FrameType

    from singer_sdk.helpers.capabilities import CapabilitiesEnum
    from singer_sdk.streams import Stream

#: Failures whose message says all a user needs; the CLI prints them as one line, no traceback.
EXPLAINED_ERRORS = (
    FatalAPIError,
    RetriesExhaustedError,
    TieBlockTooLargeError,
    InvalidCustomerError,
    InvalidStateError,
)


#: The signals that stop a sync cleanly (see ``_stop_cleanly_on_signals``).
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _hold_stop_signals() -> bool:
    """Hold back stop signals in the main thread, where the platform allows; whether it did."""
    if not hasattr(signal, "pthread_sigmask"):
        return False
    if threading.current_thread() is not threading.main_thread():
        return False
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    return True


#: Where ``--config ENV`` reads settings from: TAP_PROFITWELL_API_TOKEN and so on.
ENV_PREFIX = "TAP_PROFITWELL_"


class TapProfitWell(Tap):
    """Singer tap for ProfitWell's Customers API."""

    name = "tap-profitwell"
    #: A copy: the SDK adds its built-in settings to this dict in place, and CONFIG_SCHEMA stays
    #: the tap's own settings (the Airbyte spec is built from it).
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    #: msgspec-encoded, buffered between records (see ``output``): a third of the CPU per record.
    message_writer_class = SingerOutput
    #: The SDK's, less ``activate-version``: the tap never emits ACTIVATE_VERSION (see streams).
    capabilities: t.ClassVar[list[CapabilitiesEnum]] = [
        capability
        for capability in Tap.capabilities
        if capability != TapCapabilities.ACTIVATE_VERSION
    ]

    def __init__(self, *, validate_config: bool = True, **kwargs: t.Any) -> None:  # noqa: ANN401
        """Validate the config's schema and rules, and never echo the token in an error."""
        if kwargs.get("parse_env_config"):
            check_environment(self.config_jsonschema, ENV_PREFIX)
        # The SDK installs its own signal handler in __init__; until the tap's replaces it, a
        # stop signal waits (it would otherwise write an empty STATE and exit 0).
        held = _hold_stop_signals()
        try:
            try:
                super().__init__(validate_config=validate_config, **kwargs)
            except ConfigValidationError as exc:
                raise redacted(exc, self.config.get("api_token")) from None
            if isinstance(self.message_writer, SingerOutput):
                self._stop_cleanly_on_signals(self.message_writer)
        finally:
            if held:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        if validate_config and resolve_settings(self.config).per_page == 1:
            self.logger.warning(
                "per_page 1 costs about five requests per customer (each page is the boundary "
                "customer again); any value from 2 up costs one per per_page - 1 customers."
            )
        if self.config.get("emit_activate_version_messages"):
            self.logger.warning(
                "emit_activate_version_messages is ignored: no run of this tap reads the whole "
                "table, so no ACTIVATE_VERSION is sent (a target would drop the rows not read)."
            )

    def _stop_cleanly_on_signals(self, writer: SingerOutput) -> None:
        """On SIGTERM or SIGINT: whole lines only, the state reached, and a non-zero exit.

        The SDK's own handler writes a STATE from inside the signal, wherever the writer is
        (possibly halfway through a line), and exits 0, which tells an orchestrator the sync
        finished. Here the signal becomes :class:`SyncInterrupted` at the next whole line, and
        the failure path writes the state and exits with 128 + the signal. A second signal
        ends the process at once, mid-line if need be (the state before stays valid).
        """
        if threading.current_thread() is not threading.main_thread():
            return
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
            nonlocal stopping
            if stopping:  # a second signal: the first still waits (a target not reading)
                os._exit(128 + signum)
            stopping = True
            writer.interrupt(signum)

        for signum in _STOP_SIGNALS:
            signal.signal(signum, stop)

    @override
    def discover_streams(self) -> list[Stream]:
        if self.config.get("customer_ids"):
            return [CustomersByIdStream(self)]
        return [CustomersStream(self)]

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        state = unwrapped_state(state)
        if state.get("bookmarks", {}) is None:  # "no bookmarks", as some tools write it
            state = {key: value for key, value in state.items() if key != "bookmarks"}
        if "bookmarks" in state:
            keys = {s.name: s.replication_key for s in self.streams.values()}
            expand_cursor_bookmarks(state, keys)
            check_bookmarks(state, keys)
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
        except BaseException:  # SyncInterrupted and KeyboardInterrupt too
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
        except SyncInterrupted as exc:
            cls.logger.error(  # noqa: TRY400 - no traceback
                "tap-profitwell stopped: %s; the last STATE written is where the next run resumes",
                exc,
            )
            sys.exit(128 + exc.signum)


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
