"""Named list entries in key paths: ``promotions[spring].discount`` in ``--set``, in a variant,
and as a key of a file that ``extends:`` a base; lists written whole still replace."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from twin.errors import InputError
from twin.scenario.key_paths import Entry, find_entry, split_key_path
from twin.scenario.loader import load
from twin.scenario.schema import Scenario
from twin.scenario.variants import load_variants
from twin.scenario.yaml_source import load_yaml

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
PROMOTION = SCENARIOS / "promotion.yaml"
PEAK = SCENARIOS / "staffing-peak.yaml"

SECOND = """
  - name: autumn
    categories: [tools]
    start: 2027-10-04
    end: 2027-10-10
    discount: 0.1
    lift: 1.3
"""


def test_split_key_path_reads_bracketed_names_with_dots() -> None:
    assert split_key_path("promotions[spring.v2].discount") == [
        "promotions",
        Entry("spring.v2"),
        "discount",
    ]
    assert split_key_path("staffing.warehouse.plan[2027-09-20]") == [
        "staffing",
        "warehouse",
        "plan",
        Entry("2027-09-20"),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a..b", "has an empty part"),
        ("a[x.b", "no closing"),
        ("a[]", "names no list entry"),
        ("a[x]b", "unexpected 'b'"),
        ("[x].a", "has an empty part"),
    ],
)
def test_split_key_path_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        split_key_path(text)


def test_find_entry_by_name_then_from_date() -> None:
    items = [{"name": "a"}, {"from": dt.date(2027, 9, 20)}, {"name": "b"}]
    assert find_entry(items, Entry("b")) == 2
    assert find_entry(items, Entry("2027-09-20")) == 1
    with pytest.raises(ValueError, match=r"no entry is named 'c' \(the entries: a, 2027-09-20, b"):
        find_entry(items, Entry("c"))
    with pytest.raises(ValueError, match="2 entries are named 'a'"):
        find_entry([{"name": "a"}, {"name": "a"}], Entry("a"))


def test_set_changes_one_promotion_by_name() -> None:
    base = load(Scenario, PROMOTION)
    changed = load(Scenario, PROMOTION, ["promotions[spring-tools].discount=0.3"])
    assert changed.promotions[0].discount == 0.3
    # the other keys of the entry are the file's
    assert changed.promotions[0].model_copy(update={"discount": 0.15}) == base.promotions[0]


def test_set_changes_a_plan_step_by_its_date() -> None:
    changed = load(Scenario, PEAK, ["staffing.warehouse.plan[2027-09-20].headcount=8"])
    plan = changed.staffing.warehouse.plan
    assert [(step.start, step.headcount) for step in plan] == [
        (dt.date(2027, 9, 20), 8),
        (dt.date(2027, 12, 1), 5),
    ]


def test_set_unknown_entry_names_the_entries() -> None:
    with pytest.raises(InputError, match=r"no entry is named 'summer' \(the entries: spring-to"):
        load(Scenario, PROMOTION, ["promotions[summer].discount=0.3"])


def test_set_brackets_on_a_mapping_are_an_error() -> None:
    with pytest.raises(InputError, match="'run' is a mapping, not a list"):
        load(Scenario, PROMOTION, ["run[x].seed=1"])


def test_extends_merges_a_named_entry_and_keeps_the_rest(tmp_path: Path) -> None:
    base = tmp_path / "two.yaml"
    base.write_text(f"extends: {PROMOTION}\npromotions:{SECOND}" + _first_promotion(), "utf-8")
    top = tmp_path / "top.yaml"
    top.write_text("extends: two.yaml\nname: deeper\npromotions[spring-tools]:\n  discount: 0.3\n")
    scenario = load(Scenario, top)
    assert [(p.name, p.discount) for p in scenario.promotions] == [
        ("autumn", 0.1),
        ("spring-tools", 0.3),
    ]
    assert scenario.promotions[1].mailer == 1.2  # merged key by key, not replaced


def test_extends_entry_error_points_at_the_line(tmp_path: Path) -> None:
    top = tmp_path / "top.yaml"
    top.write_text(f"extends: {PROMOTION}\nname: x\npromotions[spring-tool]:\n  discount: 0.3\n")
    with pytest.raises(InputError, match=r"top.yaml, line 3: 'promotions\[spring-tool\]'.*"):
        load_yaml(top)
    top.write_text(f"extends: {PROMOTION}\nname: x\npromotions[spring-tools]:\n  discount: 2\n")
    with pytest.raises(InputError, match=r"top.yaml, line 4: promotions.0.discount"):
        load(Scenario, top)


def test_entry_key_without_a_base_list_is_an_error(tmp_path: Path) -> None:
    top = tmp_path / "top.yaml"
    top.write_text("name: x\npromotions[a]:\n  discount: 0.3\n")
    with pytest.raises(InputError, match="line 2: 'promotions\\[a\\]' changes one entry"):
        load_yaml(top)


def test_a_list_written_whole_still_replaces(tmp_path: Path) -> None:
    top = tmp_path / "top.yaml"
    top.write_text(f"extends: {PROMOTION}\nname: x\npromotions:{SECOND}")
    assert [p.name for p in load(Scenario, top).promotions] == ["autumn"]


def test_variant_key_path_with_a_named_entry(tmp_path: Path) -> None:
    top = tmp_path / "top.yaml"
    top.write_text(
        f"extends: {PROMOTION}\nname: base\nvariants:\n"
        "  deeper:\n    promotions[spring-tools].discount: 0.3\n"
    )
    variants = load_variants(top)
    assert variants.scenarios["deeper"].promotions[0].discount == 0.3
    assert variants.scenarios["base"].promotions[0].discount == 0.15


def _first_promotion() -> str:
    text = PROMOTION.read_text("utf-8")
    return text[text.index("  - name: spring-tools") :]
