"""A mapping's ``timezone``: naive UTC timestamps become the company's local time, dates stay."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from twin.calibration.mapping import apply_mapping, utc_to_local
from twin.calibration.mapping_schema import load_mapping
from twin.calibration.odoo_export import to_utc
from twin.cli import cli
from twin.errors import InputError

MAPPING = """\
name: utc_source
timezone: {zone}
tables:
  orders:
    source: {{files: orders.parquet}}
    fields:
      order_id: id
      customer_id: customer
      ordered_at: placed_utc      # a timestamp: shifted
      promised_at: promised_text  # text: stays
      shipped_at: shipped_utc
      status: status
  invoices:
    source: {{files: invoices.parquet}}
    fields:
      invoice_id: id
      customer_id: customer
      issued_at: issued_on        # a date: stays
      due_date: due_on
      amount: amount
"""

# Sunday-evening UTC times around both of Berlin's 2025 clock changes (30 March, 26 October)
UTC_TIMES = pd.to_datetime(
    [
        "2025-03-23 23:30:00",  # Sun 23:30 UTC = Mon 00:30 CET (+1)
        "2025-03-30 22:30:00",  # Sun 22:30 UTC = Mon 00:30 CEST (+2): after the change
        "2025-10-19 22:30:00",  # Sun 22:30 UTC = Mon 00:30 CEST (+2)
        "2025-10-26 22:30:00",  # Sun 22:30 UTC = Sun 23:30 CET (+1): after the change
        "2025-03-30 00:59:59",  # last second of CET that night: 01:59:59
        "2025-03-30 01:00:00",  # the first of CEST: 03:00:00 (02:xx never happens)
    ]
)
BERLIN = pd.to_datetime(
    [
        "2025-03-24 00:30:00",
        "2025-03-31 00:30:00",
        "2025-10-20 00:30:00",
        "2025-10-26 23:30:00",
        "2025-03-30 01:59:59",
        "2025-03-30 03:00:00",
    ]
)


def _source(folder: Path, zone: str = "Europe/Berlin") -> Path:
    n = len(UTC_TIMES)
    pd.DataFrame(
        {
            "id": [f"S{i}" for i in range(n)],
            "customer": "C1",
            "placed_utc": UTC_TIMES,
            "promised_text": ["2025-04-01 00:30:00"] * n,
            "shipped_utc": UTC_TIMES + pd.Timedelta(hours=1),
            "status": "shipped",
        }
    ).to_parquet(folder / "orders.parquet")
    pd.DataFrame(
        {
            "id": [f"I{i}" for i in range(n)],
            "customer": "C1",
            "issued_on": [t.date() for t in UTC_TIMES],  # Parquet date32: datetime.date objects
            "due_on": [t.date() for t in UTC_TIMES],
            "amount": 10.0,
        }
    ).to_parquet(folder / "invoices.parquet")
    mapping = folder / "mapping.yaml"
    mapping.write_text(MAPPING.format(zone=zone))
    return mapping


def test_timestamps_become_local_time_across_both_clock_changes(tmp_path):
    mapping = _source(tmp_path)
    orders = apply_mapping(mapping, tmp_path).tables["orders"]
    assert orders["ordered_at"].tolist() == BERLIN.tolist()
    # the same UTC time of day is Monday before the October change and Sunday after it
    assert orders["ordered_at"].dt.day_name().tolist()[:4] == ["Monday"] * 3 + ["Sunday"]
    assert (orders["shipped_at"] - orders["ordered_at"]).iloc[:4].eq(pd.Timedelta(hours=1)).all()
    # a text column is not a timestamp of the source: it stays as written
    assert orders["promised_at"].eq(pd.Timestamp("2025-04-01 00:30:00")).all()


def test_dates_stay_as_they_are(tmp_path):
    mapping = _source(tmp_path)
    invoices = apply_mapping(mapping, tmp_path).tables["invoices"]
    assert invoices["issued_at"].tolist() == UTC_TIMES.normalize().tolist()
    assert invoices["due_date"].tolist() == UTC_TIMES.normalize().tolist()


def test_without_a_timezone_nothing_moves(tmp_path):
    mapping = _source(tmp_path)
    mapping.write_text(MAPPING.format(zone="null"))
    orders = apply_mapping(mapping, tmp_path).tables["orders"]
    assert orders["ordered_at"].tolist() == UTC_TIMES.tolist()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"])
def test_conversion_agrees_with_the_standard_library(zone):
    stamps = pd.Series(pd.date_range("2024-01-01", "2026-12-31", freq="37min"))
    local = zoneinfo.ZoneInfo(zone)
    expected = [
        t.replace(tzinfo=dt.UTC).astimezone(local).replace(tzinfo=None)
        for t in stamps.dt.to_pydatetime()
    ]
    assert utc_to_local(stamps, zone).tolist() == expected


def test_local_to_utc_and_back_is_identity_outside_the_spring_gap():
    local = pd.Series(pd.date_range("2025-01-01", "2025-12-31", freq="7min"))
    back = utc_to_local(to_utc(local, "Europe/Berlin"), "Europe/Berlin")
    moved = back != local
    # only the hour that does not exist on 30 March 2025 (02:00-02:59) comes back changed, to 03:00
    gap = (local.dt.date == dt.date(2025, 3, 30)) & (local.dt.hour == 2)
    assert moved.equals(gap)
    assert back[gap].eq(pd.Timestamp("2025-03-30 03:00:00")).all()


def test_an_unknown_zone_names_the_key(tmp_path):
    mapping = _source(tmp_path, zone="Europe/Berlinn")
    with pytest.raises(InputError, match=r"timezone.*unknown time zone 'Europe/Berlinn'"):
        load_mapping(mapping)
    result = CliRunner().invoke(
        cli,
        ["calibrate", str(tmp_path), "--mapping", str(mapping), "--out", str(tmp_path / "m")],
    )
    assert result.exit_code == 2, result.output
    assert "timezone" in result.output and "Traceback" not in result.output
