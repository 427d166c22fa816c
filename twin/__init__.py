"""twin: a discrete-event digital twin of the customer-order-supply-chain loop.

The simulation clock runs in days. Every duration in a scenario file is in days unless its key names
another unit (``minutes_per_order``, ``cost_per_hour``, shift times as ``"HH:MM-HH:MM"``).
"""

__version__ = "0.1.0"
