"""Keep secret settings out of every text the source prints.

The policy lives here so that one place, :meth:`Output.emit`, applies it to every message that
carries free text (logs, errors, connection status); records and state carry API data only.
"""

from __future__ import annotations

import typing as t

from airbyte_protocol.models import AirbyteMessage, Type
from pydantic import BaseModel

from tap_profitwell.settings import CONFIG_SCHEMA

MASK = "********"
_M = t.TypeVar("_M", bound=BaseModel)


def secret_settings(schema: t.Mapping[str, t.Any] = CONFIG_SCHEMA) -> tuple[str, ...]:
    """Names of the settings the schema marks secret, so new secrets are covered unasked."""
    properties = schema.get("properties", {})
    return tuple(name for name, prop in properties.items() if prop.get("secret"))


def escaped(secret: str) -> str:
    r"""The secret as ``repr`` writes it (``\n`` for a newline), as error messages quote it."""
    return repr(secret)[1:-1]


class Redactor:
    """Replaces each secret value of a config with asterisks wherever it appears in a text."""

    def __init__(self, config: t.Mapping[str, t.Any] | None = None) -> None:
        """Collect the secrets now, so a config read later cannot slip past."""
        config = config or {}
        values = {str(config[name]) for name in secret_settings() if config.get(name)}
        values |= {escaped(value) for value in values}
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted(values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """The text with every secret masked."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def message(self, message: AirbyteMessage) -> AirbyteMessage:
        """The message with its free-text fields masked; other messages are returned as is."""
        if not self._secrets:
            return message
        if message.type == Type.LOG and message.log is not None:
            return message.model_copy(update={"log": self._masked(message.log)})
        if message.type == Type.TRACE and message.trace is not None and message.trace.error:
            trace = message.trace.model_copy(update={"error": self._masked(message.trace.error)})
            return message.model_copy(update={"trace": trace})
        if message.type == Type.CONNECTION_STATUS and message.connectionStatus is not None:
            status = self._masked(message.connectionStatus)
            return message.model_copy(update={"connectionStatus": status})
        return message

    def _masked(self, model: _M) -> _M:
        """A copy with each text field that is set masked (unset fields stay unset)."""
        update = {
            name: self(value)
            for name in model.model_fields_set
            if isinstance(value := getattr(model, name), str)
        }
        return model.model_copy(update=update)
