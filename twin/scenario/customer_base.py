"""A segment's ``customer_base``: known customers and their fitted purchase and drop-out model.

Demand of such a segment comes from each customer's own purchase process instead of one aggregate
rate (``twin.model.customer_base`` simulates it). The section names the model (``pareto_nbd`` or
``bg_nbd``, Fader and Hardie's "buy till you die" family), its population parameters per day, an
optional covariance of their logarithms (for ``run.parameter_uncertainty``), the file of known
customers' purchase histories (frequency, recency, age at ``run.start_date``) and, optionally, the
arrival of customers not yet known.

The customers file is read and checked here, when the scenario is validated, so a bad row is an
input error naming the file, column and row before anything runs. Its columns are kept as arrays
on the section (:attr:`CustomerBase.history`), not as fields: the effective scenario names the
file, it does not copy thousands of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveFloat, PrivateAttr, field_validator, model_validator

from twin.input_files import check_input_file
from twin.scenario.arrivals import PoissonArrivals, RateNoise
from twin.scenario.common import Section

if TYPE_CHECKING:  # numpy costs start-up; a scenario error must not wait for it
    import numpy as np

#: The parameters each model needs, in the order a covariance is usually written.
MODEL_PARAMETERS: dict[str, tuple[str, ...]] = {
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "bg_nbd": ("r", "alpha", "a", "b"),
}
#: The columns of a customers file.
CUSTOMER_COLUMNS = ("customer", "frequency", "recency_days", "age_days")
# covariance entries may carry rounding from the fit: symmetric and PSD up to this
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CustomerHistory:
    """The known customers of a segment, one entry per row of the customers file.

    ``frequency`` (repeat purchases), ``recency_days`` (first to last purchase) and ``age_days``
    (first purchase to ``run.start_date``) are Fader and Hardie's ``x``, ``t_x`` and ``T``.
    """

    customers: tuple[str, ...]
    frequency: np.ndarray
    recency_days: np.ndarray
    age_days: np.ndarray

    def __len__(self) -> int:
        return len(self.customers)


def _problem(where: str, column: str, rows: np.ndarray, values: object, expected: str) -> str:
    """The message for the first bad row of a column (rows are 0-based positions)."""
    import numpy as np

    row = int(rows[0])
    value = np.asarray(values, dtype=object)[row]
    shown = (
        "empty"
        if value is None or (isinstance(value, float) and np.isnan(value))
        else repr(value.item() if hasattr(value, "item") else value)
    )
    more = f" ({len(rows) - 1} more row(s) like it)" if len(rows) > 1 else ""
    return f"{where}, column {column!r}, row {row + 1}: {shown}, expected {expected}{more}"


def read_customers_file(path: Path) -> CustomerHistory:
    """Read and check a customers file (Parquet or CSV); a problem raises ``ValueError``.

    Rows count from 1, the header excluded. The message names the file, the column and the first
    bad row (and how many more share the problem), so the planner can fix the file.
    """
    import numpy as np
    import pandas as pd  # here, not at import: a scenario without a customer base needs none

    where = f"file {path}"
    check_input_file(path, "customers_file")
    if not path.is_file():
        raise ValueError(f"{where} not found")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={"customer": str}, keep_default_na=True)
    except (OSError, ValueError, ImportError) as exc:
        raise ValueError(
            f"{where}: cannot read it as {'Parquet' if path.suffix == '.parquet' else 'CSV'} "
            f"({exc})"
        ) from None
    missing = [c for c in CUSTOMER_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{where} lacks column(s) {', '.join(missing)}; expected the columns "
            f"{', '.join(CUSTOMER_COLUMNS)}"
        )
    extra = [str(c) for c in frame.columns if c not in CUSTOMER_COLUMNS]
    if extra:
        raise ValueError(
            f"{where} has unknown column(s) {', '.join(extra)}; expected exactly "
            f"{', '.join(CUSTOMER_COLUMNS)}"
        )
    if not len(frame):
        raise ValueError(f"{where} has no rows; give one row per known customer")
    ids = frame["customer"]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        raise ValueError(_problem(where, "customer", np.flatnonzero(blank), ids, "a customer id"))
    repeated = ids.duplicated()
    if repeated.any():
        raise ValueError(
            _problem(where, "customer", np.flatnonzero(repeated), ids, "each customer once")
        )
    numbers = {}
    for column in CUSTOMER_COLUMNS[1:]:
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(_problem(where, column, np.flatnonzero(bad), raw, "a number"))
        numbers[column] = values
    frequency, recency, age = (numbers[c] for c in CUSTOMER_COLUMNS[1:])
    checks = (
        ("frequency", (frequency < 0) | (frequency != np.round(frequency)), "a whole number >= 0"),
        ("recency_days", recency < 0, "a number of days >= 0"),
        ("age_days", age <= 0, "a number of days > 0"),
        ("recency_days", recency > age, "at most the row's age_days"),
        ("recency_days", (frequency == 0) & (recency != 0), "0 when frequency is 0"),
    )
    for column, bad, expected in checks:
        if bad.any():
            raise ValueError(_problem(where, column, np.flatnonzero(bad), frame[column], expected))
    return CustomerHistory(tuple(ids.astype(str)), frequency.astype(np.int64), recency, age)


class CustomerBase(Section):
    """Known customers and a fitted purchase/drop-out model; rates are per day.

    Pareto/NBD: each customer buys as a Poisson process of rate ``lambda ~ Gamma(r, rate alpha)``
    and stays for an exponential lifetime of rate ``mu ~ Gamma(s, rate beta)``. BG/NBD: the same
    purchases, and after each repeat purchase the customer drops out with probability ``p ~
    Beta(a, b)``.
    """

    model: Literal["pareto_nbd", "bg_nbd"]
    parameters: dict[str, PositiveFloat] = Field(
        description="Population parameters per day: r, alpha and s, beta (pareto_nbd) or a, b "
        "(bg_nbd)."
    )
    log_parameter_covariance: list[list[float]] | None = Field(
        None,
        description="Covariance of the log parameters, rows and columns in the order of "
        "'parameters' (the inverse observed Fisher information of the fit).",
    )
    customers_file: str = Field(
        description="Parquet or CSV file, one row per known customer: customer, frequency, "
        "recency_days, age_days (at run.start_date); relative to the scenario file."
    )
    new_customers: PoissonArrivals | None = Field(
        None, description="First purchases of customers not yet known (a Poisson arrivals spec)."
    )
    overdispersion: RateNoise | None = Field(
        None,
        description="The day-to-day multiplier of every customer's purchase rate (common shocks: "
        "weather, holidays, promotions), fitted around the customer model's own expectation; "
        "without it the segment's arrivals.overdispersion applies.",
    )
    _history: CustomerHistory | None = PrivateAttr(None)

    @field_validator("customers_file")
    @classmethod
    def _file_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give the path of the customers file (Parquet or CSV)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CustomerBase:
        import numpy as np

        needed = MODEL_PARAMETERS[self.model]
        given = tuple(self.parameters)
        if set(given) != set(needed):
            missing = [p for p in needed if p not in given]
            extra = [p for p in given if p not in needed]
            parts = []
            if missing:
                parts.append(f"missing: {', '.join(missing)}")
            if extra:
                parts.append(f"not used by {self.model}: {', '.join(extra)}")
            raise ValueError(
                f"parameters: model {self.model} needs exactly {', '.join(needed)} (per day); "
                f"{'; '.join(parts)}"
            )
        covariance = self.log_parameter_covariance
        if covariance is not None:
            n = len(given)
            matrix = np.asarray(covariance, dtype=float) if covariance else np.zeros((0, 0))
            if matrix.shape != (n, n):
                raise ValueError(
                    f"log_parameter_covariance: expected a {n} x {n} matrix (rows and columns "
                    f"in the order of parameters: {', '.join(given)})"
                )
            scale = max(1.0, float(np.abs(matrix).max()))
            if not np.allclose(matrix, matrix.T, atol=_TOLERANCE * scale):
                raise ValueError("log_parameter_covariance: the matrix must be symmetric")
            if np.linalg.eigvalsh(matrix).min() < -_TOLERANCE * scale:
                raise ValueError(
                    "log_parameter_covariance: the matrix must be positive semi-definite "
                    "(a covariance); it has a negative eigenvalue"
                )
        try:
            self._history = read_customers_file(Path(self.customers_file))
        except ValueError as exc:
            raise ValueError(f"customers_file: {exc}") from None
        return self

    @property
    def history(self) -> CustomerHistory:
        """The known customers read from ``customers_file``."""
        assert self._history is not None
        return self._history

    def parameter_vector(self) -> np.ndarray:
        """The parameters in the order of :data:`MODEL_PARAMETERS` for the model."""
        import numpy as np

        return np.array([self.parameters[name] for name in MODEL_PARAMETERS[self.model]])

    def log_covariance(self) -> np.ndarray | None:
        """The covariance of the log parameters in the order of :data:`MODEL_PARAMETERS`."""
        import numpy as np

        if self.log_parameter_covariance is None:
            return None
        given = list(self.parameters)
        order = [given.index(name) for name in MODEL_PARAMETERS[self.model]]
        matrix = np.asarray(self.log_parameter_covariance, dtype=float)
        return matrix[np.ix_(order, order)]
