r"""Singer messages to stdout: msgspec-encoded, RECORD lines batched, flushed at every pause.

The SDK's default writer encodes each message with simplejson and flushes stdout after every
one: a system call per customer (and with ``PYTHONUNBUFFERED`` set, stdout has no buffer at
all). This writer encodes with msgspec and collects RECORD lines in its own buffer, written
out every 64 KiB; any other message (SCHEMA, STATE, ...) writes out everything before it, the
stream calls :meth:`SingerOutput.flush` before each request, so a target never waits for
records the tap already has while the tap waits on the network, and the tap flushes once more
when a sync ends, however it ends.

What is emitted is the same JSON: the same keys in the same order, ``time_extracted`` in the
SDK's ``isoformat`` form, unknown types as ``str``. Only the bytes differ where JSON allows it
(non-ASCII text is written as UTF-8 instead of ``\u`` escapes).
"""

from __future__ import annotations

import datetime as dt
import signal
import sys
import typing as t

import msgspec.json
from singer_sdk.singerlib import RecordMessage
from singer_sdk.singerlib.encoding import GenericSingerWriter
from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk.singerlib.encoding.simple import Message

#: Pending RECORD lines are written out once they reach this size.
BATCH_BYTES = 64 * 1024


def _default(value: object) -> str:
    """What the SDK's encoder writes for a type JSON lacks: ISO date-times, else ``str``."""
    return value.isoformat(sep="T") if isinstance(value, dt.datetime) else str(value)


_ENCODER = msgspec.json.Encoder(enc_hook=_default, decimal_format="number")
#: How a line whose last value is a UTC date-time encoded by msgspec must end instead.
_UTC_SUFFIX = b'+00:00"}\n'


class SyncInterrupted(BaseException):
    """SIGTERM or SIGINT stopped the sync; the state written so far is where to resume.

    A BaseException, like KeyboardInterrupt: ``logging`` (and other code that catches every
    Exception to carry on) must not swallow it.
    """

    def __init__(self, signum: int) -> None:
        """Remember which signal, for the message and the exit code (128 + signal)."""
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


class SingerOutput(GenericSingerWriter[bytes, "Message"]):
    """Writes Singer messages as JSON lines; RECORD lines are batched until the next pause.

    A signal must never cut a line in two (a target would read a broken record, or the next
    line glued onto it), so while a line is being built or written the writer is ``busy`` and
    :meth:`interrupt` only notes the signal; the writer raises :class:`SyncInterrupted` as soon
    as every line in hand is whole.
    """

    def __init__(self) -> None:
        """An empty buffer of RECORD lines not yet written to stdout."""
        self._pending = bytearray()
        self._busy = 0
        self._deferred: int | None = None

    def interrupt(self, signum: int) -> None:
        """Stop the sync for ``signum`` now, or once the line in hand is whole.

        Called from a signal handler.

        Raises:
            SyncInterrupted: at once when no line is in hand.
        """
        if not self._busy:
            raise SyncInterrupted(signum)
        self._deferred = signum

    def _raise_deferred(self) -> None:
        if self._deferred is not None and not self._busy:
            signum, self._deferred = self._deferred, None
            raise SyncInterrupted(signum)

    def flush(self) -> None:
        """Write every pending line to stdout and flush it, so its reader has all of them."""
        self._busy += 1
        try:
            stdout = sys.stdout
            stdout.flush()  # anything printed as text goes first
            pending = self._pending
            if pending:
                buffer = getattr(stdout, "buffer", None)
                if buffer is None:  # a text-only stream (tests capturing stdout)
                    stdout.write(pending.decode())
                else:
                    _write_all(buffer, pending)
                del pending[:]
            stdout.flush()
        finally:
            self._busy -= 1
        self._raise_deferred()

    @override
    def serialize_message(self, message: Message) -> bytes:
        return _ENCODER.encode(_payload(message)) + b"\n"

    @override
    def write_message(self, message: Message) -> None:
        self._busy += 1
        try:
            self._append(message)
        finally:
            self._busy -= 1
        self._raise_deferred()

    def _append(self, message: Message) -> None:
        pending = self._pending
        if type(message) is RecordMessage:
            extracted = message.time_extracted
            if extracted is not None and extracted.tzinfo is dt.timezone.utc:
                # msgspec writes a UTC date-time as isoformat does, but with "Z" for "+00:00";
                # letting it encode the datetime and fixing the last bytes is ~5x cheaper.
                _ENCODER.encode_into(_record_payload(message, extracted), pending, -1)
                pending[-3:] = _UTC_SUFFIX  # time_extracted is the last key
            else:
                _ENCODER.encode_into(_record_payload(message), pending, -1)
                pending.append(0x0A)  # newline
            if len(pending) >= BATCH_BYTES:
                self.flush()
            return
        _ENCODER.encode_into(_payload(message), pending, -1)
        pending.append(0x0A)
        self.flush()


def _write_all(buffer: t.BinaryIO, data: bytearray) -> None:
    """Write all of ``data``: with ``PYTHONUNBUFFERED`` the buffer is a raw file that may not."""
    with memoryview(data) as view:
        done = 0
        while done < len(view):
            done += buffer.write(view[done:]) or 0


def _record_payload(
    message: RecordMessage, extracted: dt.datetime | None = None
) -> dict[str, t.Any]:
    """``RecordMessage.to_dict``, ``time_extracted`` as the SDK's encoder writes it.

    With ``extracted`` (a UTC datetime) the datetime itself goes last, for the caller to fix.
    """
    payload: dict[str, t.Any] = {
        "type": "RECORD",
        "stream": message.stream,
        "record": message.record,
    }
    if message.version is not None:
        payload["version"] = message.version
    if extracted is not None:
        payload["time_extracted"] = extracted
    elif message.time_extracted is not None:
        payload["time_extracted"] = message.time_extracted.isoformat(sep="T")
    return payload


def _payload(message: Message) -> dict[str, t.Any]:
    if type(message) is RecordMessage:
        return _record_payload(message)
    return _iso_datetimes(message.to_dict())


def _iso_datetimes(value: t.Any) -> t.Any:  # noqa: ANN401 - any JSON-like value
    """Render nested date-times as the SDK's encoder does (msgspec would write ``Z``).

    Only SCHEMA, STATE and the other rare messages come here, so a walk costs nothing.
    """
    if isinstance(value, dict):
        return {key: _iso_datetimes(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_iso_datetimes(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.isoformat(sep="T")
    return value
