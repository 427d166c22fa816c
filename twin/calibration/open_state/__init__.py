"""The company's open state at an as-of instant, computed from its canonical history.

``twin calibrate --as-of DATE`` writes it as ``state/`` beside the model (the folder's tables and
columns are :data:`twin.scenario.initial_state.STATE_TABLES`): stock on hand, open purchase-order
lines, the backlog, receivables, payables, open opportunities and tickets, and each customer's
history at the date. The as-of instant is the start of DATE: what is dated before it has
happened, nothing on or after it. Inconsistent rows (a negative stock balance, a receipt before
its order, an overpaid invoice) are reported row by row with a reason, never clipped.

Modules, one table or concern each: :mod:`.view` (which history rows the state reads),
:mod:`.issues` (the rows it reports), :mod:`.stock`, :mod:`.purchasing` (open POs, payables),
:mod:`.sales` (backlog), :mod:`.money` (receivables), :mod:`.crm` (opportunities, tickets),
:mod:`.customers`, :mod:`.build` (all of them), :mod:`.model_segments` (the rows in the model's
segments) and :mod:`.write` (the folder and the fit-report rows).
"""

from twin.calibration.open_state.build import OpenState, build_open_state
from twin.calibration.open_state.model_segments import in_model_segments
from twin.calibration.open_state.write import state_report_rows, write_state

__all__ = ["OpenState", "build_open_state", "in_model_segments", "state_report_rows", "write_state"]
