"""``read``: sync the configured streams and translate everything the tap says."""

from __future__ import annotations

import logging
import typing as t

from tap_profitwell.airbyte.catalog import (
    cursor_fields,
    full_refresh_streams,
    selected_singer_catalog,
    unknown_streams,
)
from tap_profitwell.airbyte.state import singer_state
from tap_profitwell.airbyte.taps import new_tap, singer_catalog
from tap_profitwell.airbyte.writer import AirbyteWriter

if t.TYPE_CHECKING:
    from airbyte_protocol.models import ConfiguredAirbyteCatalog

    from tap_profitwell.airbyte.output import Output

logger = logging.getLogger("source-profitwell")


def read(
    config: t.Mapping[str, t.Any],
    configured: ConfiguredAirbyteCatalog,
    state: object,
    output: Output,
) -> None:
    """Run the tap's sync with Airbyte's selection and state, writing to ``output``.

    Raises:
        Exception: whatever stopped the sync; the caller reports it as a TRACE error, after
            the streams that started are marked INCOMPLETE.
    """
    discovered = singer_catalog(config)
    for name in unknown_streams(discovered, configured):
        logger.warning("Stream %r is not offered by this source and is skipped.", name)
    start = singer_state(
        state, cursors=cursor_fields(discovered), ignore=full_refresh_streams(configured)
    )
    writer = AirbyteWriter(output, [stream.stream.name for stream in configured.streams])
    tap = new_tap(
        config,
        catalog=selected_singer_catalog(discovered, configured),
        state=start,
        writer=writer,
    )
    try:
        tap.sync_all()
    except BaseException:
        writer.finish(succeeded=False)
        raise
    writer.finish(succeeded=True)
