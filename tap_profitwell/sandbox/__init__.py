"""A local, deterministic simulator of ProfitWell's Customers API, for tests and benchmarks."""

from tap_profitwell.sandbox.config import FAULT_KINDS, Fault, SandboxConfig
from tap_profitwell.sandbox.server import Sandbox

__all__ = ["FAULT_KINDS", "Fault", "Sandbox", "SandboxConfig"]
