"""``source-profitwell``: the Airbyte protocol's four commands on the command line.

stdout carries Airbyte messages only: anything else that prints there is sent to stderr, and
logging becomes LOG messages. ``check`` exits 0 whether or not the connection works, as the
protocol asks (the answer is in the message); ``discover`` and ``read`` exit 1 after a TRACE
error saying what failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import typing as t
from pathlib import Path

from airbyte_protocol.models import ConfiguredAirbyteCatalog
from pydantic import ValidationError

from tap_profitwell.airbyte.catalog import airbyte_catalog
from tap_profitwell.airbyte.check import check_connection
from tap_profitwell.airbyte.errors import InputError, explain
from tap_profitwell.airbyte.logs import logging_to
from tap_profitwell.airbyte.messages import (
    catalog_message,
    connection_status,
    error_trace,
    spec_message,
)
from tap_profitwell.airbyte.output import Output
from tap_profitwell.airbyte.read import read
from tap_profitwell.airbyte.redact import Redactor
from tap_profitwell.airbyte.spec import connector_specification
from tap_profitwell.airbyte.taps import singer_catalog

if t.TYPE_CHECKING:
    from collections.abc import Sequence


def parser() -> argparse.ArgumentParser:
    """The protocol's command line: ``spec``, ``check``, ``discover``, ``read``."""
    root = argparse.ArgumentParser(
        prog="source-profitwell", description="ProfitWell customers as an Airbyte source."
    )
    root.add_argument("--debug", action="store_true", help="log at DEBUG level")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("spec", help="print the connector specification")
    for name, text in (("check", "test the config"), ("discover", "print the catalog")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--config", required=True, type=Path, help="config JSON file")
    command = commands.add_parser("read", help="sync the configured streams")
    command.add_argument("--config", required=True, type=Path, help="config JSON file")
    command.add_argument("--catalog", required=True, type=Path, help="configured catalog file")
    command.add_argument("--state", type=Path, help="state file from the previous sync")
    return root


def load_json(path: Path, what: str) -> t.Any:  # noqa: ANN401 - any JSON value
    """The parsed file.

    Raises:
        InputError: the file is missing or is not JSON.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"Cannot read the {what} file {path}: {exc}"
        raise InputError(msg) from None


def load_config(path: Path) -> dict[str, t.Any]:
    """The config file's object.

    Raises:
        InputError: not readable, or not a JSON object.
    """
    config = load_json(path, "config")
    if not isinstance(config, dict):
        msg = f"The config file {path} must hold a JSON object."
        raise InputError(msg)
    return config


def load_catalog(path: Path) -> ConfiguredAirbyteCatalog:
    """The configured catalog.

    Raises:
        InputError: not readable, or not a configured catalog.
    """
    try:
        return ConfiguredAirbyteCatalog.model_validate(load_json(path, "catalog"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        msg = f"The catalog file {path} is not a configured catalog: {where}: {first['msg']}"
        raise InputError(msg) from None


def run(args: argparse.Namespace, output: Output) -> int:
    """Carry out one command; the exit status is the protocol's."""
    if args.command == "spec":
        output.emit(spec_message(connector_specification()))
        return 0
    config: dict[str, t.Any] = {}
    try:
        config = load_config(args.config)
        output.redactor = Redactor(config)
        if args.command == "check":
            output.emit(check_connection(config))
        elif args.command == "discover":
            output.emit(catalog_message(airbyte_catalog(singer_catalog(config))))
        else:
            state = load_json(args.state, "state") if args.state else None
            read(config, load_catalog(args.catalog), state, output)
    except Exception as exc:  # noqa: BLE001 - reported in the protocol's terms
        failure = explain(exc, config)
        if args.command == "check":
            output.emit(connection_status(failure.message))
            return 0
        output.emit(
            error_trace(
                failure.message,
                failure.failure_type,
                internal_message=failure.internal_message,
                stack_trace=failure.stack_trace,
            )
        )
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``source-profitwell``."""
    args = parser().parse_args(argv)
    output = Output(sys.stdout)
    level = logging.DEBUG if args.debug else logging.INFO
    with contextlib.redirect_stdout(sys.stderr), logging_to(output, level):
        return run(args, output)
