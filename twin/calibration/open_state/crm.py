"""Open CRM items at the as-of instant: opportunities neither won nor lost, tickets not closed."""

from __future__ import annotations

import pandas as pd

from twin.calibration.open_state.frames import before, column, floats, ids, open_at, stamps, table
from twin.calibration.open_state.issues import Issues

CLOSED_STAGES = ("won", "lost", "closed won", "closed lost", "closed_won", "closed_lost")
"""Stages (compared in lower case) of an opportunity that is decided."""


def open_opportunities(
    frame: pd.DataFrame | None,
    as_of: pd.Timestamp,
    accounts: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
    issues: Issues | None = None,
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """Opportunities created before the as-of instant (or undated), not closed by it, and not
    at a closed stage.

    ``account_id`` becomes the ERP customer the ERP-CRM match links the account to
    (``accounts.customer_id``), so the run finds the deal's customer and segment in the state's
    customers table; an account the match does not link keeps its CRM id. A deal without an
    amount is valued at its product's list price (``products.list_price``) when the history has
    it. A deal still without a creation date or an amount is reported (``issues``) and left out:
    the run needs its age and value. ``notes`` gets the counts.
    """
    if frame is None or not len(frame):
        frame = pd.DataFrame(columns=["opportunity_id", "stage"])
    created = pd.to_datetime(column(frame, "created_at"))
    stage = frame["stage"].astype("string").str.strip().str.lower()
    keep = (
        (created.isna().to_numpy() | before(created, as_of))
        & open_at(column(frame, "closed_at"), as_of)
        & ~stage.isin(CLOSED_STAGES).fillna(False).to_numpy()
    )
    frame = frame[keep]
    notes = [] if notes is None else notes
    account = column(frame, "account_id").astype("string")
    customer = account.map(_customer_of_account(accounts).to_dict()).astype("string")
    linked = customer.notna() & (customer != account)
    if linked.any():
        notes.append(
            f"open state: {int(linked.sum())} open opportunities name a CRM account the ERP-CRM "
            "match links to an ERP customer of another id; they carry that customer's id"
        )
    account = customer.fillna(account)
    amount = pd.to_numeric(column(frame, "amount"), errors="coerce").astype(float)
    price = column(frame, "product").astype("string").map(_list_price(products).to_dict())
    price = pd.to_numeric(price, errors="coerce").astype(float)
    undated = pd.to_datetime(column(frame, "created_at")).isna().to_numpy()
    priced = (amount.isna() & price.notna()).to_numpy() & ~undated
    if priced.any():
        notes.append(
            f"open state: {int(priced.sum())} open opportunities without an amount are valued at "
            "their product's list price"
        )
    amount = amount.fillna(price)
    unvalued = (amount.isna() | (amount < 0)).to_numpy()
    if issues is not None:
        issues.report(
            "opportunities", frame[undated], "undated_opportunity", "no created_at: age unknown"
        )
        issues.report(
            "opportunities",
            frame[unvalued & ~undated],
            "unvalued_opportunity",
            "no amount and no list price of its product",
        )
    left_out = int((undated | unvalued).sum())
    if left_out:
        notes.append(
            f"open state: {left_out} open opportunities without a creation date or an amount are "
            "left out (quarantine/state_opportunities.csv)"
        )
    use = ~(undated | unvalued)
    frame = frame[use]
    return table(
        "opportunities",
        {
            "opportunity_id": ids(frame["opportunity_id"]),
            "account_id": ids(account[use]),
            "stage": ids(frame["stage"]),
            "created_at": stamps(column(frame, "created_at")),
            "amount": floats(amount[use]),
        },
    )


def _customer_of_account(accounts: pd.DataFrame | None) -> pd.Series:
    """Account id -> its linked ERP customer id (accounts the match linked; ids as strings)."""
    if accounts is None or "customer_id" not in accounts.columns or not len(accounts):
        return pd.Series([], dtype="string")
    linked = accounts.dropna(subset=["account_id", "customer_id"])
    return (
        pd.Series(
            linked["customer_id"].astype("string").to_numpy(),
            index=linked["account_id"].astype("string").to_numpy(),
        )
        .groupby(level=0)
        .first()
    )


def _list_price(products: pd.DataFrame | None) -> pd.Series:
    """Product (SKU) -> its list price, where the products table gives one."""
    if products is None or "list_price" not in products.columns or not len(products):
        return pd.Series([], dtype=float)
    priced = products.dropna(subset=["sku", "list_price"])
    return (
        pd.Series(
            pd.to_numeric(priced["list_price"], errors="coerce").to_numpy(dtype=float),
            index=priced["sku"].astype("string").to_numpy(),
        )
        .groupby(level=0)
        .first()
    )


def open_tickets(frame: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """Tickets opened before the as-of instant and not closed by it."""
    if frame is None or not len(frame):
        frame = pd.DataFrame(columns=["ticket_id", "opened_at"])
    keep = before(frame["opened_at"], as_of) & open_at(column(frame, "closed_at"), as_of)
    frame = frame[keep]
    return table(
        "tickets",
        {
            "ticket_id": ids(frame["ticket_id"]),
            "customer_id": ids(column(frame, "customer_id")),
            "order_id": ids(column(frame, "order_id")),
            "opened_at": stamps(frame["opened_at"]),
        },
    )
