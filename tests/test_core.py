"""The SDK's standard tap tests, run against a sandbox started for this module."""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_profitwell.sandbox import Sandbox, SandboxConfig
from tap_profitwell.tap import TapProfitWell

# get_tap_test_class needs its config when the module is imported, so the sandbox starts here.
_SANDBOX = Sandbox(SandboxConfig(customers=400, seed=21), host="127.0.0.1", port=0).start()
atexit.register(_SANDBOX.stop)

TestTapProfitWell = get_tap_test_class(
    tap_class=TapProfitWell,
    config={
        "api_token": _SANDBOX.token,
        "api_url": _SANDBOX.url,
        "rate_limit_requests": 0,
        "per_page": 50,
    },
    suite_config=SuiteConfig(max_records_limit=None),
)
