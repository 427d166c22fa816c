"""The ``products`` and ``suppliers`` sections: what is sold, at what cost and price, and where it
comes from.

Products are given inline or in a CSV file (``products_file``), read here by
:func:`read_products_csv` so a problem names the file and row rather than a scenario key.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, NonNegativeFloat, NonNegativeInt, ValidationError, field_validator

from twin.distributions import DistributionSpec
from twin.errors import InputError
from twin.input_files import check_input_file
from twin.scenario.common import Name, Section
from twin.scenario.common import require_nonnegative as _require_nonnegative


class Product(Section):
    """One stock-keeping unit."""

    sku: Name
    unit_cost: NonNegativeFloat = Field(description="Purchase cost per unit (currency).")
    price: NonNegativeFloat = Field(description="List selling price per unit (currency).")
    supplier: Name
    category: Name | None = None


class Supplier(Section):
    """Where stock comes from and how long it takes."""

    lead_time_days: DistributionSpec = Field(description="Days from purchase order to receipt.")
    min_order_quantity: NonNegativeInt = Field(0, description="Smallest purchase order, units.")

    _lead_nonneg = field_validator("lead_time_days")(
        lambda v: _require_nonnegative(v, "a lead time")
    )


PRODUCT_COLUMNS = ("sku", "unit_cost", "price", "supplier")


def read_products_csv(path: Path) -> list[dict]:
    """Rows of a products CSV as dicts; every row is checked by ``Product`` afterwards.

    A missing file or column raises :class:`InputError` naming the file, so the planner sees the
    CSV rather than the scenario key.
    """
    import pandas as pd  # here, not at import: a scenario without a products file needs none

    check_input_file(path, "products_file")
    try:
        frame = pd.read_csv(path, dtype={"sku": str, "supplier": str, "category": str})
    except FileNotFoundError:
        raise InputError(f"products_file {path}: file not found") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"Cannot read products_file {path}: {exc}") from None
    missing = [c for c in PRODUCT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"products_file {path} lacks column(s) {', '.join(missing)}; expected the columns "
            f"sku, unit_cost, price, supplier and optionally category"
        )
    extra = [c for c in frame.columns if c not in (*PRODUCT_COLUMNS, "category")]
    if extra:
        raise InputError(f"products_file {path} has unknown column(s) {', '.join(extra)}")
    rows = []
    # Data rows count from 1, the header excluded, as for empirical data files.
    for number, record in enumerate(frame.to_dict("records"), start=1):
        row = {k: v for k, v in record.items() if not (isinstance(v, float) and pd.isna(v))}
        try:
            rows.append(Product.model_validate(row).model_dump(exclude_none=True))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                + ("" if error["type"] == "missing" else f" (got {error['input']!r})")
                for error in exc.errors(include_url=False)
            )
            raise InputError(
                f"products_file {path}, row {number} (file line {number + 1}): {problems}"
            ) from None
    return rows
