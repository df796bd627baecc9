"""Build the Singer tap in process, the same way for every command."""

from __future__ import annotations

import typing as t

from tap_profitwell.airbyte.writer import DiscardingWriter
from tap_profitwell.tap import TapProfitWell

if t.TYPE_CHECKING:
    from singer_sdk.io_base import GenericSingerWriter


def new_tap(
    config: t.Mapping[str, t.Any],
    *,
    catalog: dict[str, t.Any] | None = None,
    state: dict[str, t.Any] | None = None,
    writer: GenericSingerWriter | None = None,
) -> TapProfitWell:
    """A tap on exactly this config: Airbyte passes every setting in the file, none by env.

    Raises:
        ConfigValidationError: the config breaks the schema or a rule (token masked).
    """
    return TapProfitWell(
        config=dict(config),
        catalog=catalog,
        state=state,
        parse_env_config=False,
        validate_config=True,
        message_writer=writer,
    )


def singer_catalog(config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The tap's discovered Singer catalog for this config (it depends on ``customer_ids``).

    The tap prints nothing while discovering, but the SDK's SIGTERM handler writes a STATE
    through the tap's writer, so it gets one that drops it.
    """
    return new_tap(config, writer=DiscardingWriter()).catalog_dict
