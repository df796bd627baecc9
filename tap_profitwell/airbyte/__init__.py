"""The tap as an Airbyte source: the same streams, spoken in the Airbyte protocol.

Installed with the ``airbyte`` extra, which brings the protocol's pydantic models; the
console script is ``source-profitwell`` (see :mod:`tap_profitwell.airbyte.cli`).
"""
