"""Run the Airbyte source with ``python -m tap_profitwell.airbyte``."""

import sys

from tap_profitwell.airbyte.cli import main

sys.exit(main())
