"""``check``: prove the config can read customers, by reading one."""

from __future__ import annotations

import typing as t

from tap_profitwell.airbyte.errors import explain
from tap_profitwell.airbyte.messages import connection_status
from tap_profitwell.airbyte.taps import new_tap
from tap_profitwell.airbyte.writer import DiscardingWriter
from tap_profitwell.settings import CONFIG_SCHEMA

if t.TYPE_CHECKING:
    from airbyte_protocol.models import AirbyteMessage

#: A check answers a person waiting in a form: a few tries tell a blip from a wrong URL,
#: where the sync's full retry budget (minutes) would leave them staring at a spinner.
CHECK_MAX_TRIES = 3


def check_config(config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The config the check runs with: one customer per page, and a short retry budget."""
    checked = {**config, "per_page": 1}
    tries = config.get("retry_max_tries", CHECK_MAX_TRIES + 1)
    if "retry_max_tries" in CONFIG_SCHEMA["properties"] and isinstance(tries, int):
        checked["retry_max_tries"] = min(tries, CHECK_MAX_TRIES)
    return checked


def check_connection(config: t.Mapping[str, t.Any]) -> AirbyteMessage:
    """SUCCEEDED if the API answers the first page with this token, else FAILED and why.

    The tap's own connection test syncs each stream until its first record, so the token, URL
    and response parsing are all exercised.
    """
    try:
        new_tap(config, writer=DiscardingWriter())  # the settings as given must be valid
        tap = new_tap(check_config(config), writer=DiscardingWriter())
        tap.run_connection_test()
    except Exception as exc:  # noqa: BLE001 - every failure is reported as FAILED
        return connection_status(explain(exc, config).message)
    return connection_status()
