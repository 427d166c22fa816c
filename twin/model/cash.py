"""The cash book: money in and out of the bank, as a treasurer reads it (the ``cash`` section).

Built only when the scenario has a ``cash`` section; then it books, from ``opening_balance``:

- **customer payments** (+), as the ledger settles an invoice by payment (a write-off brings
  no cash), through ``Ledger.report_payments``: known when the invoice is issued, so queued
  with the payments known ahead;
- **supplier bills** (-): each purchase-order receipt (``Stock``'s :class:`SupplierBills` hook)
  is billed quantity x unit cost and paid on its due date, receipt + the supplier's terms;
- **payroll** (-): each staff role's cost of a payroll period (the staff KPIs' cost: scheduled
  hours x headcount x rate, plus overtime at its premium), paid at the end of the period;
- **promotion** fixed costs (-), paid on the promotion's first day;
- **freight** (-) per shipment dispatched and **ordering** costs (-) per purchase order placed,
  as the ``costs`` section defines them, on the day they occur.
- an open state's **unpaid supplier bills** (-), when the run starts from ``initial_state``:
  each is a bill dated before day 0 (its ``t_received``, sku -1 in ``supplier_bills``) and paid
  on its due date, or after the supplier's terms from its bill date (``open_bills_paid``); one
  already due is paid on day 0. The state's open invoices come in as the ledger settles them,
  like any other customer payment; its open purchase orders are billed when they arrive, less
  what a state's bill already bills of them (:func:`prepaid_credits`: a bill issued before its
  goods arrived is paid once, as the state's bill).

Payments known ahead (customer payments, bills, payroll, promotions) wait in one due-date queue
and are booked when time passes them: at the next receipt or when the run is collected. So the
cash book adds no event to the simulation's heap. Freight and ordering costs are read from the
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

from twin.model.catalogue import Catalogue
from twin.model.context import Context
from twin.model.finance import Ledger
from twin.model.staff import StaffRole, window_facts
from twin.records import ColumnTable
from twin.scenario.cash import CashPolicy
from twin.scenario.initial_state import OpenState

#: the ``kind`` of a cash movement, in code order
KINDS = ("customer", "supplier", "staff", "freight", "ordering", "promotion")
CUSTOMER, SUPPLIER, STAFF, FREIGHT, ORDERING, PROMOTION = range(len(KINDS))
HOURS_PER_DAY = 24.0
#: the counterparty of an open state's bill that names no supplier
UNNAMED_SUPPLIER = "unnamed_supplier"
#: money below half a cent is no money: a receipt billed in full before it arrived books no bill
HALF_CENT = 0.005
CHUNK = ColumnTable.CHUNK  # rows a table buffers (settle appends to the buffer itself)


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
        state = scenario.open_state
        open_bills = [] if state is None else state_bills(state, section)
        # a state's bill may name a supplier the scenario does not know: a counterparty still
        suppliers += sorted({bill[0] for bill in open_bills} - set(suppliers))
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
        # an open state's PO lines already billed: row of the state's table -> amount billed
        self._credits = np.zeros(0) if state is None else prepaid_credits(state, catalogue)
        # receipts of those lines, awaited: (SKU, receipt time, units) -> amounts already billed
        self._prepaid: dict[tuple[int, float, int], list[float]] = {}
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
        for name, t_bill, t_due, t_pay, amount in open_bills:
            supplier = number[name]
            self._bills.add((supplier, -1, t_bill, t_due, amount, t_pay))
            self._schedule(t_pay, SUPPLIER, self._supplier_base + supplier, amount)
        ledger.report_payments(self.expect_payment)

    # ----------------------------------------------------------------- during the run

    def expect_payment(self, t_paid: float, segment: int, amount: float) -> None:
        """A customer of ``segment`` will pay ``amount`` at ``t_paid`` (the ledger's
        ``on_payment``, told when the invoice is issued): booked when time passes it, with the
        payments known ahead (money in, so queued as a negative payment)."""
        # _schedule, inline: once per invoice
        heapq.heappush(self._due, (t_paid, next(self._sequence), CUSTOMER, segment, -amount))

    def expect_open(self, row: int, sku: int, t_receipt: float, quantity: int) -> None:
        """Row ``row`` of the open state's purchase orders (``quantity`` units of ``sku``) will
        be received at ``t_receipt`` (``twin.model.open_state``): when a state's bill already
        bills it, its receipt books only what that bill leaves unbilled."""
        credit = float(self._credits[row]) if row < len(self._credits) else 0.0
        if credit > 0.0:
            self._prepaid.setdefault((sku, t_receipt, quantity), []).append(credit)

    def received(self, sku: int, quantity: int) -> None:
        """``quantity`` units of ``sku`` arrived now: the supplier bills them, due after its
        terms (the stock's ``bills`` hook), less what a state's bill already billed of them."""
        now = self.env.now
        supplier = self._sku_supplier[sku]
        amount = quantity * self._unit_cost[sku]
        if self._prepaid:
            # an open state's line whose bill came before the goods: its receipt, same instant
            # and units (another receipt with the same SKU, instant and units bills the same)
            credits = self._prepaid.get((sku, now, quantity))
            if credits:
                amount -= credits.pop(0)
                if not credits:
                    del self._prepaid[(sku, now, quantity)]
        if amount > HALF_CENT:
            t_due = now + self._sku_terms[sku]
            self._bills.add((supplier, sku, now, t_due, amount, t_due))
            self._schedule(t_due, SUPPLIER, self._supplier_base + supplier, amount)
        self.settle(now)

    def settle(self, now: float) -> None:
        """Pay, at their due times, the queued payments due by ``now``."""
        due = self._due
        if not due or due[0][0] > now:
            return
        # ColumnTable.add inline and the balance in a local: about 76,000 payments a year in
        # the whole-loop scenario, subtracted in the same order
        movements = self._movements
        rows = movements.rows
        balance = self.balance
        while due and due[0][0] <= now:
            t, _, kind, counterparty, amount = heapq.heappop(due)
            rows.append((t, kind, counterparty, -amount))
            if len(rows) >= CHUNK:
                movements.flush()
            balance -= amount
        self.balance = balance

    def _schedule(self, t_due: float, kind: int, counterparty: int, amount: float) -> None:
        heapq.heappush(self._due, (t_due, next(self._sequence), kind, counterparty, amount))

    # ----------------------------------------------------------------- collection

    def close(self, tables: dict[str, pd.DataFrame]) -> dict[str, float]:
        """Book what remains of the run and name the cash tables in ``tables`` (in place).

        Pays the queued payments due before the horizon, books the freight of every shipment
        and the ordering cost of every purchase order placed in the run (not an open state's,
        ordered before day 0), sorts the movements by time and names their kinds and
        counterparties. Returns the facts the cash KPIs need.
        """
        horizon = self.horizon_days
        due = self._due
        while due and due[0][0] < horizon:
            self.settle(due[0][0])
        costs = self.costs
        purchases = tables["purchases"]
        # an open state's purchases were ordered (and their ordering cost paid) before day 0
        purchases = purchases[purchases["t_order"] >= 0.0]
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
        bills["t_paid"] = np.where(bills["t_paid"] < horizon, bills["t_paid"], np.nan)
        return {"opening_balance": self.opening_balance, "closing_balance": self.balance}


def state_bills(
    state: OpenState, section: CashPolicy
) -> list[tuple[str, float, float, float, float]]:
    """The open state's unpaid supplier bills as ``(supplier, bill time, due time, pay time,
    amount)``, in order of pay time, then bill id (times in days from day 0: a bill time is
    negative, a due time may be; pay time = max(due time, 0)).

    The due time is the ERP's due date under ``open_bills_paid: due_date`` (the supplier's
    terms from the bill date where the state has none), else the bill date + the supplier's
    terms. A bill without a supplier is paid on the default terms, to :data:`UNNAMED_SUPPLIER`.
    """
    table = state.tables["payables"]
    if table.empty:
        return []
    names = [s if isinstance(s, str) and s else UNNAMED_SUPPLIER for s in table["supplier_id"]]
    t_bill = np.asarray(state.days(table["issued_at"]), dtype=float)
    terms = np.array([section.supplier_terms.days(name) for name in names], dtype=float)
    t_due = t_bill + terms
    if section.open_bills_paid == "due_date":
        erp = np.asarray(state.days(table["due_date"]), dtype=float)
        t_due = np.where(np.isnan(erp), t_due, erp)
    t_pay = np.maximum(t_due, 0.0)
    amount = table["amount_open"].to_numpy(dtype=float)
    order = np.lexsort((table["bill_id"].to_numpy(dtype=str), t_pay))
    return [
        (names[i], float(t_bill[i]), float(t_due[i]), float(t_pay[i]), float(amount[i]))
        for i in order.tolist()
    ]


def prepaid_credits(state: OpenState, catalogue: Catalogue) -> np.ndarray:
    """What the state's unpaid bills already bill of each open purchase-order line (currency,
    one value per row of the state's ``purchase_orders`` table, at most the line's open value
    ``quantity_open`` x the SKU's ``unit_cost``, what its receipt would bill).

    The state holds bills per purchase order, not per line, so a bill is matched to a PO:

    - **by PO id**: the bills naming PO ``p`` first bill the units ``p``'s open lines have
      already received (``quantity_received`` x unit cost: billed on receipt); what is left
      bills ``p``'s open units, line by line in order of order date, PO id, SKU and row;
    - **by supplier and amount**, for a bill naming no PO: in order of bill date and bill id,
      it bills in full the first PO (by order date, then id) of its supplier that no bill names
      and no other bill matched, whose open value equals its amount to the cent.

    A bill that matches no open line (the usual case: billed for goods received) leaves the
    receipts as they are. The open lines of a PO whose other lines were received before the
    as-of date cannot be told from them (the state lists open lines only): a bill naming the PO
    counts towards its open lines up to its amount.
    """
    pos, bills = state.tables["purchase_orders"], state.tables["payables"]
    credits = np.zeros(len(pos))
    if pos.empty or bills.empty:
        return credits
    number = catalogue.index()
    cost = np.array([catalogue.unit_cost[number[sku]] for sku in pos["sku"]], dtype=float)
    value = pos["quantity_open"].to_numpy(dtype=float) * cost
    received = pos["quantity_received"].to_numpy(dtype=float) * cost
    order = pos.assign(row=np.arange(len(pos))).sort_values(
        ["ordered_at", "po_id", "sku", "row"], kind="stable"
    )
    lines: dict[str, list[int]] = {}  # PO id -> its rows, in order
    for po_id, row in zip(order["po_id"].tolist(), order["row"].tolist(), strict=True):
        lines.setdefault(po_id, []).append(row)
    named = bills["po_id"].map(lambda p: p if isinstance(p, str) and p else None)
    billed = bills["amount_open"].groupby(named.to_numpy()).sum()
    for po_id, amount in billed.items():
        rows = lines.get(po_id, [])
        left = float(amount) - float(received[rows].sum())
        for row in rows:
            credits[row] = min(value[row], max(left, 0.0))
            left -= credits[row]
    free = [po for po in lines if po not in billed.index]  # in order of order date, then id
    unnamed = bills[named.isna().to_numpy()].sort_values(["issued_at", "bill_id"], kind="stable")
    suppliers = [s if isinstance(s, str) else None for s in pos["supplier_id"]]
    for supplier, amount in zip(unnamed["supplier_id"], unnamed["amount_open"], strict=True):
        if not isinstance(supplier, str):
            continue  # a bill naming neither PO nor supplier matches nothing
        for po_id in free:
            rows = lines[po_id]
            same = all(suppliers[row] == supplier for row in rows)
            if same and abs(float(value[rows].sum()) - float(amount)) < HALF_CENT:
                credits[rows] = value[rows]
                free.remove(po_id)
                break
    return credits


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
