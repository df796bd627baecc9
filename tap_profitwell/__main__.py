"""Run the tap with ``python -m tap_profitwell``."""

from tap_profitwell.tap import TapProfitWell

TapProfitWell.cli()
