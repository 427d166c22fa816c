"""The KPI label table: every KPI a run produces has a label, unit and definition, the table
agrees with the KPI modules' units, and the docs' KPI tables agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twin.experiments.replicate import run_one
from twin.kpi_labels import (
    KPIS,
    PROMOTION_KPIS,
    ROLE_KPIS,
    kpi_info,
    kpi_label,
    kpi_name,
    plain_unit,
)
from twin.kpis import core, kpi_units
from twin.kpis.staff import ROLE_UNITS

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: scenario, overrides: short runs are enough, the KPI names do not depend on the horizon
REAL_RUNS = [
    ("baseline.yaml", ["run.horizon_days=5", "run.warmup_days=0"]),
    ("whole-loop.yaml", ["run.horizon_days=5", "run.warmup_days=0"]),
    ("lookahead.yaml", ["run.horizon_days=5"]),
]


@pytest.mark.parametrize(("relative", "overrides"), REAL_RUNS, ids=[r[0] for r in REAL_RUNS])
def test_every_kpi_of_a_real_run_has_a_label(load_scenario, relative, overrides):
    kpis = run_one(load_scenario(relative, *overrides), 0).kpis
    roles = [name[len("utilisation_") :] for name in kpis if name.startswith("utilisation_")]
    units = kpi_units(roles, kpis)
    missing = [name for name in kpis if name not in KPIS and not _resolves(name)]
    assert not missing, f"KPIs without a label in twin/kpi_labels.py: {missing}"
    for name in kpis:
        assert kpi_info(name).unit == plain_unit(units[name]), name


def _resolves(name: str) -> bool:
    try:
        kpi_info(name)
    except KeyError:
        return False
    return True


def test_the_table_has_every_unit_the_kpi_modules_declare():
    units = kpi_units(["order_desk"])
    for name, unit in units.items():
        assert kpi_info(name).unit == plain_unit(unit), name
    assert set(KPIS) >= set(core.KPI_UNITS)
    assert set(ROLE_KPIS) == {*ROLE_UNITS, "utilisation"}


def test_per_role_and_per_promotion_kpis_resolve():
    wait = kpi_info("wait_p95_days_order_desk")
    assert wait.label == "Wait for the order desk, 95th percentile"
    assert wait.unit == "days"
    assert kpi_info("staff_cost").label == "Staff cost"  # the total, not a role called "cost"
    assert kpi_info("staff_cost_warehouse").label == "Staff cost, warehouse"
    assert kpi_info("utilisation_service_engineer").unit == "share"
    spring = kpi_info("promo_cost_spring-tools")
    assert spring.label == "Promotion cost: spring-tools"
    assert kpi_info("promo_fixed_cost_spring").label == "Promotion fixed cost: spring"
    with pytest.raises(KeyError, match="not a KPI"):
        kpi_info("no_such_kpi")


def test_kpi_label_shows_money_in_the_currency():
    assert kpi_label("revenue", "EUR") == "Revenue (EUR)"
    assert kpi_label("revenue") == "Revenue (currency)"
    assert kpi_label("otif_rate", "EUR") == "Orders on time in full (share)"
    assert kpi_label("lead_time_p95_days") == "Order lead time, 95th percentile (days)"
    assert kpi_label("not_a_kpi") == "not_a_kpi"
    assert kpi_name("fill_rate") == "Units filled from stock"
    assert kpi_name("not_a_kpi") == "not_a_kpi"


def test_every_entry_is_plain_words_and_one_sentence():
    entries = list(KPIS.items()) + [(f"{k}_x", v) for k, v in ROLE_KPIS.items()]
    for name, info in entries:
        assert info.label and "_" not in info.label, name
        assert info.definition.endswith((".", ")")) and info.definition.count(". ") == 0, name
        assert info.unit not in ("currency", "ratio"), name


def _doc_rows(path: Path) -> list[list[str]]:
    """Cells of the rows of every table whose header starts ``| KPI |``."""
    rows, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("| KPI |"):
            inside, header = True, [c.strip() for c in line.strip("|").split("|")]
            continue
        if inside and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not set(cells[0]) <= set("-"):
                rows.append(dict(zip(header, cells, strict=False)))
        else:
            inside = False
    return rows


def _names(cell: str) -> list[str]:
    """The KPI identifiers of a docs cell, a role or promotion placeholder made concrete."""
    names = [n.strip().strip("`") for n in cell.split(",")]
    return [re.sub(r"[{<](role|name)[}>]", "order_desk", n) for n in names]


def test_the_kpi_docs_agree_with_the_table():
    documented = set()
    for path in [DOCS / "kpis.md", *sorted((DOCS / "levers").glob("*.md"))]:
        for row in _doc_rows(path):
            for name in _names(row["KPI"]):
                info = kpi_info(name)  # a documented KPI the table lacks raises here
                assert info.unit == plain_unit(row["unit"]), f"{path.name}: {name}"
                if "label" in row:
                    assert row["label"] == info.label.replace("order desk", "<role>"), name
                documented.add(name)
    undocumented = set(KPIS) - documented - set(PROMOTION_KPIS)
    undocumented |= {f"{k}_order_desk" for k in ROLE_KPIS} - documented
    assert not undocumented, f"KPIs of labels.py missing from the docs' tables: {undocumented}"
    assert set(PROMOTION_KPIS) <= documented
