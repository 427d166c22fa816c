"""The cash book: money in and out of the bank, as a treasurer reads it (the ``cash`` section).

Built only when the scenario has a ``cash`` section; then it books, from ``opening_balance``:

- **customer payments** (+), as the ledger settles an invoice by payment (a write-off brings
  no cash), through ``Ledger.report_payments``;
- **supplier bills** (-): each purchase-order receipt (``Stock``'s :class:`SupplierBills` hook)
  is billed quantity x unit cost and paid on its due date, receipt + the supplier's terms;
- **payroll** (-): each staff role's cost of a payroll period (the staff KPIs' cost: scheduled
  hours x headcount x rate, plus overtime at its premium), paid at the end of the period;
- **promotion** fixed costs (-), paid on the promotion's first day;
- **freight** (-) per shipment dispatched and **ordering** costs (-) per purchase order placed,
  as the ``costs`` section defines them, on the day they occur.

Payments known ahead (bills, payroll, promotions) wait in one due-date queue and are booked
when time passes them: at the next movement or when the run is collected. So the cash book
adds no event to the simulation's heap. Freight and ordering costs are read from the
``shipments`` and ``purchases`` tables when the run is collected, at the times they occurred:
nothing in the run reads the balance yet, and the hot loops stay untouched.
Holding and backorder costs are not cash: the first is the cost of the capital the stock
binds (which the cash balance now shows), the second a penalty the company does not pay out.
"""

from __future__ import annotations

import heapq
from itertools import count

import numpy as np
import pandas as pd

from twin.model.context import Context
from twin.model.finance import Ledger
from twin.model.staff import StaffRole, window_facts

#: the ``kind`` of a cash movement, in code order
KINDS = ("customer", "supplier", "staff", "freight", "ordering", "promotion")
CUSTOMER, SUPPLIER, STAFF, FREIGHT, ORDERING, PROMOTION = range(len(KINDS))
HOURS_PER_DAY = 24.0


class CashBook:
    """The bank balance and every movement through it, for one replication."""

    def __init__(self, context: Context, ledger: Ledger) -> None:
        scenario, catalogue, recorder = context.scenario, context.catalogue, context.recorder
        section = scenario.cash
        if section is None:
            raise ValueError("CashBook needs the scenario's cash section")
        self.env = context.env
        self.horizon_days = scenario.run.horizon_days
        self.opening_balance = float(section.opening_balance)
        self.balance = self.opening_balance
        self.costs = scenario.costs
        self._movements = recorder.cash_movements
        self._bills = recorder.supplier_bills
        suppliers = list(scenario.suppliers)
        roles = list(context.roles)
        promotions = [p.name for p in scenario.promotions]
        # counterparties by number: segments, suppliers, roles, promotions, the carrier
        self.counterparties = [*scenario.segments, *suppliers, *roles, *promotions, "carrier"]
        self._supplier_base = len(scenario.segments)
        role_base = self._supplier_base + len(suppliers)
        promotion_base = role_base + len(roles)
        self._carrier = promotion_base + len(promotions)
        self.suppliers = suppliers
        number = {name: i for i, name in enumerate(suppliers)}
        self._sku_supplier = [number[s] for s in catalogue.supplier]
        self._sku_terms = [section.supplier_terms.days(s) for s in catalogue.supplier]
        self._unit_cost = catalogue.unit_cost
        # payments known ahead: (due time, sequence number, kind, counterparty, amount)
        self._due: list[tuple[float, int, int, int, float]] = []
        self._sequence = count()
        staffing = scenario.staffing
        period = section.payroll_period_days
        for k, (name, role) in enumerate(context.roles.items()):
            rate = staffing.roles()[name].cost_per_hour
            for t_paid, amount in payroll(role, rate, period, self.horizon_days):
                self._schedule(t_paid, STAFF, role_base + k, amount)
        start = scenario.run.start_date
        for k, promotion in enumerate(scenario.promotions):
            t_start = float((promotion.start - start).days)
            # a promotion that began before the run was paid before the opening balance
            if 0.0 <= t_start < self.horizon_days and promotion.fixed_cost > 0:
                self._schedule(t_start, PROMOTION, promotion_base + k, promotion.fixed_cost)
        ledger.report_payments(self.paid)

    # ----------------------------------------------------------------- during the run

    def paid(self, segment: int, amount: float) -> None:
        """A customer of ``segment`` paid ``amount`` now (the ledger's ``on_payment``)."""
        now = self.env.now
        self.settle(now)
        self._movements.add((now, CUSTOMER, segment, amount))
        self.balance += amount

    def received(self, sku: int, quantity: int) -> None:
        """``quantity`` units of ``sku`` arrived now: the supplier bills them, due after its
        terms (the stock's ``bills`` hook)."""
        now = self.env.now
        supplier = self._sku_supplier[sku]
        amount = quantity * self._unit_cost[sku]
        t_due = now + self._sku_terms[sku]
        self._bills.add((supplier, sku, now, t_due, amount, t_due))
        self._schedule(t_due, SUPPLIER, self._supplier_base + supplier, amount)
        self.settle(now)

    def settle(self, now: float) -> None:
        """Pay, at their due times, the queued payments due by ``now``."""
        due = self._due
        while due and due[0][0] <= now:
            t, _, kind, counterparty, amount = heapq.heappop(due)
            self._movements.add((t, kind, counterparty, -amount))
            self.balance -= amount

    def _schedule(self, t_due: float, kind: int, counterparty: int, amount: float) -> None:
        heapq.heappush(self._due, (t_due, next(self._sequence), kind, counterparty, amount))

    # ----------------------------------------------------------------- collection

    def close(self, tables: dict[str, pd.DataFrame]) -> dict[str, float]:
        """Book what remains of the run and name the cash tables in ``tables`` (in place).

        Pays the queued payments due before the horizon, books the freight of every shipment
        and the ordering cost of every purchase order, sorts the movements by time and names
        their kinds and counterparties. Returns the facts the cash KPIs need.
        """
        horizon = self.horizon_days
        due = self._due
        while due and due[0][0] < horizon:
            self.settle(due[0][0])
        costs = self.costs
        purchases = tables["purchases"]
        shipments = tables["shipments"]
        supplier_of = np.asarray(self._sku_supplier, dtype=np.int64)
        ordering = costs.ordering.per_order + costs.ordering.per_unit * purchases[
            "quantity"
        ].to_numpy(dtype=float)
        freight = costs.freight.per_shipment + costs.freight.per_unit * shipments["units"].to_numpy(
            dtype=float
        )
        booked = [self._movements.frame()]  # with the payments just settled
        if costs.ordering.per_order or costs.ordering.per_unit:
            booked.append(
                _rows(
                    purchases["t_order"].to_numpy(),
                    ORDERING,
                    self._supplier_base + supplier_of[purchases["sku"].to_numpy()],
                    -ordering,
                )
            )
        if costs.freight.per_shipment or costs.freight.per_unit:
            booked.append(
                _rows(shipments["t_shipped"].to_numpy(), FREIGHT, self._carrier, -freight)
            )
        for frame in booked[1:]:
            self.balance += float(frame["amount"].sum())
        movements = pd.concat(booked, ignore_index=True)
        movements = movements.sort_values("t", kind="stable", ignore_index=True)
        movements["kind"] = np.asarray(KINDS, dtype=object)[movements["kind"].to_numpy()]
        names = np.asarray(self.counterparties, dtype=object)
        movements["counterparty"] = names[movements["counterparty"].to_numpy()]
        tables["cash_movements"] = movements
        bills = tables["supplier_bills"]
        bills["supplier"] = np.asarray(self.suppliers, dtype=object)[bills["supplier"].to_numpy()]
        bills["t_paid"] = np.where(bills["t_due"] < horizon, bills["t_due"], np.nan)
        return {"opening_balance": self.opening_balance, "closing_balance": self.balance}


def payroll(
    role: StaffRole, rate: float, period_days: float, horizon_days: float
) -> list[tuple[float, float]]:
    """``(pay time, amount)`` of each payroll period of a staff role that ends before the
    horizon: the period's scheduled hours x headcount x ``rate`` (currency per hour) plus its
    overtime hours at their premium, as the staff KPIs cost them (``twin.kpis.staff``)."""
    out = []
    k = 0
    while (k + 1) * period_days < horizon_days:
        a, b = k * period_days, (k + 1) * period_days
        facts = window_facts(role.calendar, role.schedule, role.overtime_premium, a, b)
        head_days = facts["scheduled_head_days"] + facts["overtime_paid_head_days"]
        amount = float(head_days) * HOURS_PER_DAY * rate
        if amount > 0:
            out.append((b, amount))
        k += 1
    return out


def _rows(t: np.ndarray, kind: int, counterparty: object, amount: np.ndarray) -> pd.DataFrame:
    """Movements of one kind as a frame with the integer codes of the live ones."""
    n = len(t)
    return pd.DataFrame(
        {
            "t": np.asarray(t, dtype=float),
            "kind": np.full(n, kind, dtype=np.int64),
            "counterparty": np.broadcast_to(np.asarray(counterparty, dtype=np.int64), n),
            "amount": np.asarray(amount, dtype=float),
        }
    )
