"""twin: a discrete-event digital twin of the customer-order-supply-chain loop.

The simulation clock runs in days. Every duration in a scenario file is in days unless its key names
another unit (``minutes_per_order``, ``cost_per_hour``, shift times as ``"HH:MM-HH:MM"``).

For notebooks, ``twin.run``, ``twin.compare``, ``twin.sweep``, ``twin.calibrate``,
``twin.backtest`` and ``twin.template`` run the commands of the same name and return their tables
as DataFrames (:mod:`twin.api`, docs/api.md). They are loaded on first use, so ``import twin``
stays as light as the ``twin`` command's start.
"""

from typing import Any

__version__ = "0.1.0"

#: The names :mod:`twin.api` gives the package, imported when first used.
API = ("run", "compare", "sweep", "calibrate", "backtest", "template", "Results")

__all__ = ["__version__", *API]


def __getattr__(name: str) -> Any:
    if name in API:
        from importlib import import_module

        return getattr(import_module("twin.api"), name)
    raise AttributeError(f"module 'twin' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *API})
