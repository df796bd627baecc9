"""The connector specification, built from the tap's own settings schema.

Built at run time from :data:`CONFIG_SCHEMA` rather than from the SDK's ``--about`` output,
whose built-in settings (stream maps) are not valid JSON Schema for Airbyte's clients; new tap
settings therefore appear here without any change.
"""

from __future__ import annotations

import copy
import typing as t

from airbyte_protocol.models import ConnectorSpecification

from tap_profitwell.settings import CONFIG_SCHEMA

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
TITLE = "ProfitWell Source Spec"


def _airbyte_property(prop: dict[str, t.Any], order: int) -> dict[str, t.Any]:
    """One setting as Airbyte's UI expects it.

    Its forms show one input per type, so ``null`` is dropped from a type list (leaving a
    setting out is how it is left empty) and a single type is written alone; ``secret``
    becomes ``airbyte_secret``, which the platform masks and stores as a secret.
    """
    prop = copy.deepcopy(prop)
    types = prop.get("type")
    if isinstance(types, list):
        kept = [name for name in types if name != "null"] or types
        prop["type"] = kept[0] if len(kept) == 1 else kept
    if prop.pop("secret", False):
        prop["airbyte_secret"] = True
    prop["order"] = order
    return prop


def connection_specification(
    config_schema: t.Mapping[str, t.Any] = CONFIG_SCHEMA,
) -> dict[str, t.Any]:
    """The JSON Schema (draft 07) of the source's config."""
    properties = config_schema.get("properties", {})
    return {
        "$schema": DRAFT_07,
        "title": TITLE,
        "type": "object",
        "required": list(config_schema.get("required", [])),
        "additionalProperties": True,
        "properties": {
            name: _airbyte_property(prop, order)
            for order, (name, prop) in enumerate(properties.items())
        },
    }


def connector_specification() -> ConnectorSpecification:
    """The answer to ``spec``."""
    return ConnectorSpecification(
        connectionSpecification=connection_specification(), supportsIncremental=True
    )
