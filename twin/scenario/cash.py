"""The ``cash`` section: what a treasurer sets, so the run books money in and out of the bank.

With the section the run keeps a cash book from ``opening_balance``: customer payments come in
as the ledger settles invoices; supplier bills (one per purchase-order receipt, quantity x unit
cost) are paid ``supplier_terms.default_days`` after receipt, or the supplier's own days; staff
are paid in arrears every ``payroll_period_days``; freight, ordering and promotion costs are
paid as the ``costs`` and ``promotions`` sections define them, on the day they occur. Without the
section none of it exists and a run gives exactly the numbers it gives without it.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeFloat, PositiveFloat

from twin.scenario.common import Name, Section


class SupplierTerms(Section):
    """Days from a supplier's bill (the receipt of the goods) to its payment."""

    default_days: NonNegativeFloat = Field(
        30.0, description="Payment terms of every supplier not listed in 'suppliers' (days)."
    )
    suppliers: dict[Name, NonNegativeFloat] = Field(
        default_factory=dict, description="Payment terms of named suppliers (days)."
    )

    def days(self, supplier: str) -> float:
        """The supplier's payment terms (days)."""
        return self.suppliers.get(supplier, self.default_days)


class CashPolicy(Section):
    """The opening bank balance and when the company pays its bills."""

    opening_balance: float = Field(
        0.0, description="Cash in the bank at time 0 (currency; may be negative: an overdraft)."
    )
    supplier_terms: SupplierTerms = Field(default_factory=SupplierTerms)
    payroll_period_days: PositiveFloat = Field(
        30.0,
        description="Staff are paid the cost of each period at its end (days; 30: monthly, "
        "7: weekly). A period that ends at or after the horizon is not paid within the run.",
    )


def check_references(scenario: object) -> None:
    """Every supplier named in ``cash.supplier_terms.suppliers`` must be a scenario supplier;
    raises ``ValueError`` with the key path."""
    section: CashPolicy | None = getattr(scenario, "cash", None)
    if section is None:
        return
    known = scenario.suppliers  # type: ignore[attr-defined]
    for supplier in section.supplier_terms.suppliers:
        if supplier not in known:
            raise ValueError(
                f"cash.supplier_terms.suppliers.{supplier}: unknown supplier {supplier!r} "
                f"(the scenario's suppliers are {', '.join(sorted(known))})"
            )
