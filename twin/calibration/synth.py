"""A synthetic ERP/CRM history of a company whose parameters are known: the twin run as the company.

:func:`write_sample` runs one replication of a scenario (by default the sample company,
:func:`company_file`, shipped in the package as ``twin/calibration/data/company/``) over a
warm-up and a history window, and exports what
the company's ERP would hold at the end of the window, in an ERP export's own layout and
column names (``calibration/mappings/sample.yaml`` maps them onto the canonical tables of
:mod:`twin.calibration.history`):

- ``products.csv`` (``;``-separated, decimal comma): one row per SKU;
- ``customers.csv`` (GB18030, some Chinese company names): one row per customer;
- ``sales_orders.parquet``: one row per sales order;
- ``order_lines.parquet``: one row per order line;
- ``invoices.parquet``: one row per invoice (one per shipment, as the twin invoices);
- ``payments.parquet``: one row per payment received (value date as text);
- ``purchase_orders.csv``: one row per purchase-order line;
- ``crm_accounts.csv`` (UTF-8, the CRM's own export): one row per business account (key-account
  and trade customers), see *CRM accounts* below.
- ``stock_moves.parquet``: the stock ledger, an opening balance per SKU then one row per goods
  receipt, per goods issue of an order line and per spare part issued to a repair
  (:mod:`twin.calibration.synth_truth`);
- for a company with the lever only (:mod:`twin.calibration.synth_levers`):
  ``tickets.parquet`` (after-sales), ``opportunities.parquet`` (the customers' pipeline),
  ``supplier_invoices.parquet`` (a cash book's supplier bills);
- ``true_state/``: the company's TRUE open state at the end of the window, in the format
  ``twin calibrate --as-of`` writes (:mod:`twin.calibration.synth_truth`,
  :mod:`~twin.calibration.synth_levers`), so a reconstruction from the history can be checked
  against it.

Any company the twin can run is written with its ledger and true state: with order-desk or
handling delays, a credit desk, ship-complete, after-sales, lost sales, the customer loop and
its pipeline, a cash book. How the ERP records what the levers do: an order the credit desk
rejected by the end is cancelled (status CANC, lines C: nobody's backlog); an order it still
holds or reviews is an open order, so its lines are backlog (as an ERP shows an order on credit
hold: accepted, not shipped). Exact except where said: an open PO's expected receipt (the
history carries none), an opportunity's amount (the twin's pipeline has no deal values: 0) and
account (none), the lost units of a line under lost sales (the export keeps the ordered
quantity and has no record of the loss, so the line stays open for them in the truth as in any
rebuild), and prices under promotions (lines at list price, as the export writes them).

Invoices and payments are Parquet too: with one invoice per shipment they are about as many as
the orders, and as CSV they alone would take about 8 MB.

Window. The run starts :data:`WARMUP_DAYS` before :data:`HISTORY_START` (2024-11-01, so stock and
receivables have settled) and ends at the end of the history (2026-12-31 for two years). Orders
placed in the warm-up are dropped together with their lines, invoices and payments; purchase
orders placed in the warm-up are dropped. Whatever happens after the end (a shipment, a payment,
a receipt) is not known to the export: its date is empty and the status says what was known.

Dirt. Realistic faults, each drawn from its own seeded generator (independent of the twin's
streams, so the clean history does not depend on them) and counted in the README written beside
the files: exact duplicate line rows, returns (an extra line of negative quantity, status
returned), cancelled orders (no shipment, no invoice), customers deleted from the master that
orders still refer to (orphan customer ids), deliveries dated before their shipment.

CRM accounts. The CRM knows the business customers by their short names, while the ERP's
customers.csv holds the full legal names; only some accounts carry the ERP customer number.
Drawn from a generator of its own (so the ERP files do not depend on it), with the outcome an
ERP-CRM match (:mod:`twin.calibration.matching`) must reach planted and counted in the README
(:data:`MATCH_PLANTS`): accounts with the right ERP number (by key); accounts without a number,
or with a stale one the ERP does not know, whose short name (legal form dropped, case varied;
for some Chinese names only place and brand) fits one ERP customer, or whose full legal name is
written because the short name fits several (by name); a few short names that fit several
customers (ambiguous); prospects the ERP does not know and the accounts of customers deleted
from the ERP master (unmatched); and a few business customers with no CRM account at all.
Customers whose full legal name another ERP customer shares always carry their number. Planted
outcomes are derived from how the names were built (same stem and trade, same full name), not
by running the matcher.

Everything is deterministic: the same scenario, seed and window give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import simpy

from twin.calibration.open_state.write import write_tables
from twin.calibration.synth_export import DIRT, FILES, customer_ids, export, segment_codes
from twin.calibration.synth_levers import LEVER_MAPPING, Window, lever_files, lever_truth
from twin.calibration.synth_moves import shipped_pieces
from twin.calibration.synth_names import MATCH_PLANTS
from twin.calibration.synth_truth import stock_ledger, true_state
from twin.model.network import Network, build, collect
from twin.records import Recorder, RunResult
from twin.scenario.loader import load
from twin.scenario.schema import Scenario
from twin.scenario.yaml_source import load_yaml
from twin.streams import Streams

HISTORY_START = dt.date(2025, 1, 1)
"""First day of the exported history."""

WARMUP_DAYS = 61
"""Days simulated before the history starts (2024-11-01 to 2024-12-31), then dropped."""

DEFAULT_SEED = 20250101
"""Seed of the run and of the dirt, unless given."""

TRUE_STATE = "true_state"
"""The folder of the company's true open state at the end of the history, beside the files."""


def company_file() -> Path:
    """The sample company's scenario, package data (with its ``products.csv`` beside it), so
    ``twin synth`` finds it from an installed wheel as well as from a checkout."""
    return Path(str(resources.files("twin.calibration").joinpath("data/company/company.yaml")))


# Public holidays of the history window; the company file lists only those of one year.
HOLIDAYS = (
    "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-01", "2025-12-25", "2025-12-26",
    "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-12-25", "2026-12-28",
)  # fmt: skip


@dataclass(frozen=True)
class Sample:
    """What :func:`write_sample` wrote: the files with their sizes, the dirt counts and facts."""

    out_dir: Path
    sizes: dict[str, int]
    dirt: dict[str, int]
    rows: dict[str, int]
    history_start: dt.date
    history_end: dt.date
    seed: int
    match: dict[str, int]

    @property
    def total_bytes(self) -> int:
        """Size of all files written, README included."""
        return sum(self.sizes.values())


def write_sample(
    out_dir: Path | str,
    scenario_path: Path | str,
    years: int = 2,
    seed: int = DEFAULT_SEED,
    *,
    days: int | None = None,
) -> Sample:
    """Simulate the company of `scenario_path` and write its ERP history into `out_dir`.

    Parameters
    ----------
    out_dir : path
        Folder for the files (created when missing; files of the same names are replaced).
    scenario_path : path
        The scenario whose parameters the history is drawn from.
    years : int
        Length of the history in calendar years from :data:`HISTORY_START`.
    seed : int
        Seed of the simulation (``run.seed``) and of the dirt.
    days : int, optional
        Length of the history in days instead of `years` (short histories for tests).

    Returns
    -------
    Sample
        The files written and their sizes (bytes), the dirt counts and the window.
    """
    if years < 1 and days is None:
        raise ValueError(f'"years" must be >= 1, got {years}')
    if days is not None and days < 1:
        raise ValueError(f'"days" must be >= 1, got {days}')
    end = (
        HISTORY_START + dt.timedelta(days=days)
        if days is not None
        else HISTORY_START.replace(year=HISTORY_START.year + years)
    )
    history_days = (end - HISTORY_START).days
    start = HISTORY_START - dt.timedelta(days=WARMUP_DAYS)
    scenario = load(
        Scenario,
        scenario_path,
        [
            f"run.start_date={start.isoformat()}",
            f"run.horizon_days={WARMUP_DAYS + history_days}",
            f"run.warmup_days={WARMUP_DAYS}",
            "run.replications=1",
            f"run.seed={seed}",
            *(
                f"staffing.calendars.{name}.holidays=[{', '.join(HOLIDAYS)}]"
                for name in _calendar_names(scenario_path)
            ),
        ],
    )
    network, result = _simulate(scenario)
    catalogue = network.catalogue
    lines = _booked_lines(network, result)
    tables, dirt, match = export(
        network.scenario, catalogue.skus, catalogue.price, lines, result, seed
    )
    ledger, truth = _ledger_and_truth(network, result, lines, tables["sales_orders.parquet"])
    tables["stock_moves.parquet"] = ledger
    window = Window(
        pd.Timestamp(result.start_date), float(result.warmup_days), float(result.horizon_days)
    )
    codes = segment_codes(list(network.scenario.segments))
    tables.update(
        lever_files(result.tables, window, _levers(network), catalogue.skus, customer_ids, codes)
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, frame in tables.items():
        path = out / name
        if name.endswith(".parquet"):
            _write_parquet(frame, path)
        elif name == "customers.csv":
            frame.to_csv(path, index=False, encoding="gb18030", lineterminator="\n")
        elif name == "crm_accounts.csv":
            frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        elif name == "products.csv":
            frame.to_csv(path, index=False, sep=";", decimal=",", lineterminator="\n")
        else:
            frame.to_csv(path, index=False, lineterminator="\n")
        sizes[name] = path.stat().st_size
    rows = {name: len(frame) for name, frame in tables.items()}
    written = write_tables(out / TRUE_STATE, truth, pd.Timestamp(end), None, "synth")
    sizes[TRUE_STATE] = sum(path.stat().st_size for path in written.values())
    readme = out / "README.md"
    credit = network.credit is not None
    text = _readme(scenario_path, seed, start, end, rows, dirt, sizes, match, credit)
    readme.write_text(text, encoding="utf-8")
    sizes["README.md"] = readme.stat().st_size
    return Sample(out, sizes, dirt, rows, HISTORY_START, end - dt.timedelta(days=1), seed, match)


def _ledger_and_truth(
    network: Network, result: RunResult, lines: pd.DataFrame, sales_orders: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The stock ledger the export adds and the true open state at the end of the run."""
    scenario = network.scenario
    stock = network.stock
    tables = result.tables
    lines = lines.assign(line_no=lines.groupby("order_id").cumcount().to_numpy() + 1)
    horizon = float(result.horizon_days)
    spares = _spare_requests(network, tables) if network.service is not None else None
    pieces = shipped_pieces(
        tables["orders"],
        lines,
        tables["purchases"],
        tables["shipments"],
        stock.initial_on_hand,
        stock.on_hand,
        stock.backlog_units,
        horizon,
        credit=network.credit is not None,
        ship_complete=scenario.fulfilment.mode == "ship_complete",
        spares=spares,
        backorder=stock.backorder,
    )
    start = pd.Timestamp(result.start_date)
    catalogue = network.catalogue
    ledger = stock_ledger(
        catalogue.skus,
        tables["purchases"],
        pieces,
        lines,
        stock.initial_on_hand,
        start,
        float(result.warmup_days),
        horizon,
        spare_issues=tables["spare_issues"] if spares is not None else None,
    )
    # rejected by the credit desk or cancelled by the staff: nobody's backlog
    cancelled = sales_orders.loc[sales_orders["Status"] == "CANC", "SalesOrder"] - 4_000_000
    context = {
        "start": start,
        "warmup": float(result.warmup_days),
        "horizon": horizon,
        "skus": catalogue.skus,
        "prices": catalogue.price,
        "suppliers": catalogue.supplier,
        "segments": list(scenario.segments),
        "customer_ids": customer_ids,
        "tables": tables,
    }
    truth = true_state(context, pieces, lines, stock.on_hand, cancelled.to_numpy())
    window = Window(start, float(result.warmup_days), horizon)
    truth.update(lever_truth(tables, window, _levers(network), customer_ids))
    # the ledger up to the end is the true stock: the export and the truth agree on physics
    end = start + pd.Timedelta(days=horizon)
    booked = ledger[ledger["MoveDate"] < end].groupby("Material")["Qty"].sum()
    counted = truth["stock"].set_index("sku")["on_hand"]
    if not np.array_equal(booked.reindex(counted.index).fillna(0).to_numpy(), counted.to_numpy()):
        raise RuntimeError("the stock ledger does not add up to the true stock on hand")
    return ledger, truth


def _levers(network: Network) -> dict[str, bool]:
    """Which of the levers with records of their own (tickets, opportunities, supplier bills)
    the company has."""
    scenario = network.scenario
    customers = getattr(scenario, "customers", None)
    return {
        "after_sales": network.service is not None,
        "pipeline": customers is not None and customers.pipeline is not None,
        "cash": getattr(scenario, "cash", None) is not None,
    }


def _spare_requests(network: Network, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each ticket's spare-part requests (``t`` its failure, ``sku``, ``units``, ``ticket``):
    the parts issued to it and those still owed at the end, with the run's issues attached
    (``attrs["issued"]``) for the replay's check."""
    issued = tables["spare_issues"]
    owed = [
        (entry[2], sku, entry[0])
        for sku, queue in enumerate(network.stock.spare_backlogs or ())
        for entry in queue
    ]
    parts = pd.concat(
        [
            issued[["ticket_id", "sku", "units"]],
            pd.DataFrame(owed, columns=["ticket_id", "sku", "units"]).astype("int64"),
        ],
        ignore_index=True,
    )
    asks = parts.groupby(["ticket_id", "sku"], as_index=False)["units"].sum()
    failed = tables["tickets"].set_index("ticket_id")["t_failed"]
    asks["t"] = asks["ticket_id"].map(failed).to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "t": asks["t"],
            "sku": asks["sku"],
            "units": asks["units"],
            "ticket": asks["ticket_id"],
        }
    )
    out.attrs["issued"] = issued.rename(columns={"ticket_id": "ticket"})
    return out


def _calendar_names(scenario_path: Path | str) -> list[str]:
    data, _ = load_yaml(scenario_path)
    return list((data.get("staffing") or {}).get("calendars") or {})


def _simulate(scenario: Scenario) -> tuple[Network, RunResult]:
    env = simpy.Environment()
    network = build(env, scenario, Streams(scenario.run.seed, 0), Recorder())
    env.run(until=scenario.run.horizon_days)
    return network, collect(network, 0)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # Order numbers and timestamps rise with the rows and hardly repeat: delta encoding stores
    # them in a third of a dictionary's space. Everything else repeats and is dictionary-coded.
    delta = [
        name
        for name, kind in zip(table.schema.names, table.schema.types, strict=True)
        if (pa.types.is_integer(kind) or pa.types.is_timestamp(kind))
        and frame[name].nunique() > 0.05 * max(len(frame), 1)
    ]
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=19,
        use_dictionary=[name for name in table.schema.names if name not in delta],
        column_encoding=dict.fromkeys(delta, "DELTA_BINARY_PACKED"),
    )


def _booked_lines(network: Network, result: RunResult) -> pd.DataFrame:
    """Every order's lines (``order_id, sku, quantity``) from the segments' order books.

    Each order is the next entry of its segment's book arriving at its time: all of them, or
    (with the customer loop or promotions) those the run placed, in book order."""
    orders = result.tables["orders"].sort_values("order_id", kind="stable")
    line_parts = []
    for number, source in enumerate(network.sources):
        mine = orders[orders["segment"] == number]
        book = source.book
        times = np.asarray(book.times, dtype=float)
        arrivals = mine["t_arrival"].to_numpy(dtype=float)
        if len(arrivals) == len(times):
            placed = np.arange(len(times))
        else:
            placed = _placed_entries(times, arrivals)
        if placed is None or not np.array_equal(times[placed], arrivals):
            raise RuntimeError(f"segment {source.name}: orders and order book do not align")
        starts = np.asarray(book.line_start, dtype=np.int64)
        counts = starts[placed + 1] - starts[placed]
        rows = np.repeat(starts[placed], counts) + (
            np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        )
        line_parts.append(
            pd.DataFrame(
                {
                    "order_id": np.repeat(mine["order_id"].to_numpy(), counts),
                    "sku": np.asarray(book.skus, dtype=np.int64)[rows],
                    "quantity": np.asarray(book.quantities, dtype=np.int64)[rows],
                }
            )
        )
    return pd.concat(line_parts, ignore_index=True)


def _placed_entries(times: np.ndarray, arrivals: np.ndarray) -> np.ndarray | None:
    """The book entry of each placed order: the next one at its arrival time (None: none is)."""
    out = np.empty(len(arrivals), dtype=np.int64)
    k = 0
    for n, t in enumerate(arrivals):
        while k < len(times) and times[k] != t:
            k += 1
        if k == len(times):
            return None
        out[n] = k
        k += 1
    return out


def _readme(
    scenario_path: Path | str,
    seed: int,
    start: dt.date,
    end: dt.date,
    rows: dict[str, int],
    dirt: dict[str, int],
    sizes: dict[str, int],
    match: dict[str, int],
    credit: bool = False,
) -> str:
    last = end - dt.timedelta(days=1)
    lines = [
        "# Synthetic ERP history of the sample company",
        "",
        "Generated by `twin.calibration.synth.write_sample` (do not edit by hand; regenerate).",
        f"The twin ran scenario `{Path(scenario_path).name}` once (replication 0, seed {seed})",
        f"from {start.isoformat()}; the {WARMUP_DAYS} warm-up days are dropped, so the history",
        f"covers {HISTORY_START.isoformat()} to {last.isoformat()}. Map it with",
        "`calibration/mappings/sample.yaml`. The true parameters are those of the scenario.",
        "",
        "| file | rows | bytes |",
        "| --- | ---: | ---: |",
        *(
            f"| `{name}` | {rows[name]} | {sizes[name]} |"
            for name in (*FILES, *LEVER_MAPPING)
            if name in rows
        ),
        "",
        "## Dirt",
        "",
        "| kind | count | what |",
        "| --- | ---: | --- |",
        *(f"| `{key}` | {dirt[key]} | {what} |" for key, what in DIRT.items()),
        "",
        "Invoices carry no credit notes for returns; cancelled orders have no invoice, although",
        "the twin shipped them (their stock movements and purchase orders remain).",
        "",
        *_ledger_readme(end),
        *_levers_readme([name for name in LEVER_MAPPING if name in rows], credit),
        "## CRM accounts",
        "",
        "`crm_accounts.csv` is the CRM's export of the key-account and trade customers: short",
        "names where customers.csv has the full legal name, the ERP customer number on some",
        "accounts only. An ERP-CRM match by key, then by name, should reach these outcomes:",
        "",
        "| outcome | accounts | what |",
        "| --- | ---: | --- |",
        *(f"| match: {key} | {match[key]} | {what} |" for key, what in MATCH_PLANTS.items()),
        "",
    ]
    return "\n".join(lines)


def _ledger_readme(end: dt.date) -> list[str]:
    return [
        "## Stock ledger and true open state",
        "",
        "`stock_moves.parquet` is the ERP's stock ledger: an opening balance of every SKU at the",
        "start of the history (physical stock, units allocated to unshipped orders included),",
        "then every goods receipt and every goods issue per order line. The goods issues of",
        "cancelled orders stay (the twin shipped them); returns were never restocked, so none",
        "appear. Opening balance plus movements is the physical stock at any instant.",
        "",
        f"`{TRUE_STATE}/` is the company's true open state at the start of {end.isoformat()}, in",
        "the format of `twin calibrate --as-of` (docs/open_state.md), from the twin's own",
        "records. Reconstructed from this history it is the same, except an open purchase",
        "order's `expected_at`: the truth holds the day it actually arrives, the history no",
        "expected date, so the reconstruction estimates it from the fitted lead time.",
        "",
    ]


def _levers_readme(files: list[str], credit: bool) -> list[str]:
    """The README's section on a company with levers: what differs, and how to map it."""
    if not files and not credit:
        return []
    lines = ["## Levers", ""]
    if credit:
        lines += [
            "Orders the credit desk rejected by the end of the history are cancelled (status",
            "CANC, lines C, no shipment or invoice); orders it still holds or reviews are open",
            "(status OPEN), so their lines are backlog, as the ERP would show them.",
            "",
        ]
    if "tickets.parquet" in files:
        lines += [
            "Spare parts issued to repairs are goods issues of no order line in the stock",
            "ledger (`GI` without `SalesOrder`).",
            "",
        ]
    if files:
        lines += [
            "The levers' own records are "
            + ", ".join(f"`{name}`" for name in files)
            + " (docs/calibration.md,",
            "*Any company `twin synth` writes*). Map them with `calibration/mappings/sample.yaml`",
            "plus these tables under `tables:`:",
            "",
            "```yaml",
            *"".join(LEVER_MAPPING[name] for name in files).splitlines(),
            "```",
            "",
        ]
    return lines
