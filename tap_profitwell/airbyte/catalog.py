"""Catalogs both ways, for ``discover`` and for ``read``.

The tap's Singer catalog becomes an Airbyte catalog; an Airbyte configured catalog becomes the
Singer catalog that selects the same streams, sync modes and columns.
"""

from __future__ import annotations

import copy
import typing as t

from airbyte_protocol.models import (
    AirbyteCatalog,
    AirbyteStream,
    ConfiguredAirbyteCatalog,
    SyncMode,
)

INCREMENTAL = "INCREMENTAL"
FULL_TABLE = "FULL_TABLE"


def _stream_metadata(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """The stream-level (empty breadcrumb) metadata of a Singer catalog entry, to edit."""
    items = entry.setdefault("metadata", [])
    for item in items:
        if not item.get("breadcrumb"):
            return item.setdefault("metadata", {})
    items.append({"breadcrumb": [], "metadata": {}})
    return items[-1]["metadata"]


def cursor_field(entry: t.Mapping[str, t.Any]) -> str | None:
    """The replication key, if the stream can be read incrementally."""
    key = entry.get("replication_key")
    return key if key and entry.get("replication_method") == INCREMENTAL else None


def airbyte_stream(entry: t.Mapping[str, t.Any]) -> AirbyteStream:
    """One Singer stream as Airbyte sees it: the cursor and key are the source's to choose."""
    schema = {k: v for k, v in entry["schema"].items() if k != "$schema"}
    stream = AirbyteStream(
        name=entry["tap_stream_id"],
        json_schema=schema,
        supported_sync_modes=[SyncMode.full_refresh],
        source_defined_primary_key=[[key] for key in entry.get("key_properties") or []],
    )
    if cursor := cursor_field(entry):
        stream.supported_sync_modes = [SyncMode.full_refresh, SyncMode.incremental]
        stream.source_defined_cursor = True
        stream.default_cursor_field = [cursor]
        stream.is_resumable = True
    return stream


def airbyte_catalog(singer: t.Mapping[str, t.Any]) -> AirbyteCatalog:
    """The answer to ``discover``."""
    return AirbyteCatalog(streams=[airbyte_stream(entry) for entry in singer["streams"]])


def selected_singer_catalog(
    singer: t.Mapping[str, t.Any], configured: ConfiguredAirbyteCatalog
) -> dict[str, t.Any]:
    """The Singer catalog selecting what the configured catalog asks for.

    A stream set to ``full_refresh`` is forced to ``FULL_TABLE``. When a configured stream's
    schema lists fewer properties than the source offers (Airbyte's column selection), only
    those are selected; the key and cursor stay, being ``automatic``.
    """
    wanted = {stream.stream.name: stream for stream in configured.streams}
    result = copy.deepcopy(dict(singer))
    for entry in result["streams"]:
        chosen = wanted.get(entry["tap_stream_id"])
        stream_metadata = _stream_metadata(entry)
        stream_metadata["selected"] = chosen is not None
        if chosen is None:
            continue
        if chosen.sync_mode == SyncMode.full_refresh:
            stream_metadata["forced-replication-method"] = FULL_TABLE
            entry["replication_method"] = FULL_TABLE
        columns = chosen.stream.json_schema.get("properties")
        for item in entry.get("metadata", []):
            breadcrumb = item.get("breadcrumb") or []
            if len(breadcrumb) == 2 and breadcrumb[0] == "properties":  # noqa: PLR2004
                item.setdefault("metadata", {})["selected"] = (
                    columns is None or breadcrumb[1] in columns
                )
    return result


def unknown_streams(
    singer: t.Mapping[str, t.Any], configured: ConfiguredAirbyteCatalog
) -> list[str]:
    """Configured streams this source does not have (a catalog from another config or version)."""
    known = {entry["tap_stream_id"] for entry in singer["streams"]}
    return [s.stream.name for s in configured.streams if s.stream.name not in known]


def full_refresh_streams(configured: ConfiguredAirbyteCatalog) -> set[str]:
    """Streams read from scratch, whose saved state must be ignored."""
    return {s.stream.name for s in configured.streams if s.sync_mode == SyncMode.full_refresh}


def cursor_fields(singer: t.Mapping[str, t.Any]) -> dict[str, str]:
    """Each incremental stream's cursor, to read hand-written ``{cursor: value}`` states."""
    return {
        entry["tap_stream_id"]: key for entry in singer["streams"] if (key := cursor_field(entry))
    }
