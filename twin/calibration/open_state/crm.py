"""Open CRM items at the as-of instant: opportunities neither won nor lost, tickets not closed."""

from __future__ import annotations

import pandas as pd

from twin.calibration.open_state.frames import before, column, floats, ids, open_at, stamps, table

CLOSED_STAGES = ("won", "lost", "closed won", "closed lost", "closed_won", "closed_lost")
"""Stages (compared in lower case) of an opportunity that is decided."""


def open_opportunities(frame: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """Opportunities created before the as-of instant (or undated), not closed by it, and not
    at a closed stage."""
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
    return table(
        "opportunities",
        {
            "opportunity_id": ids(frame["opportunity_id"]),
            "account_id": ids(column(frame, "account_id")),
            "stage": ids(frame["stage"]),
            "created_at": stamps(column(frame, "created_at")),
            "amount": floats(pd.to_numeric(column(frame, "amount"), errors="coerce")),
        },
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
