"""Variants: a base file's ``variants:`` section and other files, merged and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.errors import InputError
from twin.experiments.jobs import scenario_hash
from twin.scenario.variants import load_variants

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "cli" / "fixtures" / "small.yaml"
SCENARIOS = REPO / "scenarios"


def write_base(folder: Path, variants: str, name: str = "base.yaml") -> Path:
    """A scenario extending the small CLI fixture, with the given ``variants:`` block."""
    path = folder / name
    path.write_text(f"extends: {SMALL}\nname: small\n\nvariants:\n{variants}", encoding="utf-8")
    return path


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    return write_base(
        tmp_path,
        "  more-stock:\n"
        "    inventory.default.policy.reorder_point_days: 9\n"
        "  dearer:\n"
        "    products.0.price: 16.0\n"
        "    costs: {ordering: {per_order: 80.0}}\n"
        "  same:\n"
        "    description: the base under another name\n",
    )


def test_no_names_gives_the_base_then_every_variant_in_order(base_file: Path) -> None:
    variants = load_variants(base_file)
    assert variants.base == "small"
    assert variants.names == ["small", "more-stock", "dearer", "same"]
    assert variants.seed == 1
    assert all(s.variants == {} for n, s in variants.scenarios.items() if n != "small")


def test_dotted_keys_are_key_paths_merged_like_extends(base_file: Path) -> None:
    variants = load_variants(base_file, names=["more-stock", "dearer"])
    base = variants.scenarios["small"]
    stock = variants.scenarios["more-stock"]
    assert stock.inventory.default.policy.reorder_point_days == 9
    # the rest of the policy mapping is kept: the variant is merged, not replaced
    assert stock.inventory.default.policy.order_up_to_days == 14
    assert stock.inventory.default.review == base.inventory.default.review
    dearer = variants.scenarios["dearer"]
    assert dearer.products[0].price == 16.0 and dearer.products[1] == base.products[1]
    assert dearer.costs.ordering.per_order == 80.0
    assert dearer.costs.backorder == base.costs.backorder


def test_set_overrides_apply_to_the_base_and_every_variant(base_file: Path) -> None:
    variants = load_variants(base_file, ["run.horizon_days=12"], ["more-stock"])
    assert [s.run.horizon_days for s in variants.scenarios.values()] == [12.0, 12.0]


def test_a_variant_that_changes_nothing_shares_the_base_hash(base_file: Path) -> None:
    variants = load_variants(base_file, names=["same", "more-stock"])
    hashes = {name: scenario_hash(s) for name, s in variants.scenarios.items()}
    assert hashes["same"] == hashes["small"] != hashes["more-stock"]


def test_another_file_is_a_variant_named_by_its_scenario(base_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(f"extends: {SMALL}\nname: other\ncosts: {{freight: {{per_shipment: 9}}}}\n")
    variants = load_variants(base_file, names=[str(other), "more-stock"])
    assert variants.names == ["small", "other", "more-stock"]
    assert variants.scenarios["other"].costs.freight.per_shipment == 9
    assert variants.sources["other"] == str(other)


def test_two_files_compare_without_a_variants_section() -> None:
    variants = load_variants(
        SCENARIOS / "credit-loose.yaml", names=[str(SCENARIOS / "credit-tight.yaml")]
    )
    assert variants.names == ["credit-loose", "credit-tight"]
    rules = [s.credit.rules for s in variants.scenarios.values()]
    assert rules[0] != rules[1]


def test_service_level_variant_has_the_baseline_stock_rules() -> None:
    variants = load_variants(SCENARIOS / "service-level.yaml")
    assert variants.names == ["service-level", "baseline-stock"]
    baseline = load_variants(SCENARIOS / "baseline.yaml").scenarios["baseline"]
    stock = variants.scenarios["baseline-stock"]
    assert stock.inventory == baseline.inventory
    assert stock.customers == variants.scenarios["service-level"].customers
    assert variants.scenarios["service-level"].inventory != baseline.inventory


# --- bad input -------------------------------------------------------------------------------


def test_unknown_key_in_a_variant_names_file_line_and_variant_path(tmp_path: Path) -> None:
    path = write_base(tmp_path, "  typo:\n    inventory.default.policy.reorder_pont_days: 9\n")
    with pytest.raises(InputError) as caught:
        load_variants(path, names=["typo"])
    message = str(caught.value)
    assert message.startswith(f"Invalid variant typo of {path}")
    assert f"{path}, line 6: variants.typo.inventory.default.policy.reorder_pont_days" in message
    assert "unknown key 'reorder_pont_days'" in message


def test_invalid_value_in_a_nested_variant_names_its_path(tmp_path: Path) -> None:
    path = write_base(
        tmp_path,
        "  bad:\n    inventory:\n      default:\n        policy:\n          order_up_to_days: -3\n",
    )
    with pytest.raises(
        InputError,
        match=r"line 9: variants\.bad\.inventory\.default\.policy\."
        r"order_up_to_days: must be at least 0 days",
    ):
        load_variants(path, names=["bad"])


def test_unknown_variant_name_lists_the_known_ones(base_file: Path) -> None:
    with pytest.raises(InputError, match=r"^fast: not a variant of .*more-stock, dearer, same"):
        load_variants(base_file, names=["fast"])


def test_naming_the_base_is_an_error(base_file: Path) -> None:
    with pytest.raises(InputError, match="this is the base scenario"):
        load_variants(base_file, names=["small"])


def test_a_variant_file_with_another_seed_explains_crn(base_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "seeded.yaml"
    other.write_text(f"extends: {SMALL}\nname: seeded\nrun: {{seed: 7}}\n")
    with pytest.raises(
        InputError,
        match=r"seeded\.yaml: run\.seed is 7 but the base .* has 1; "
        r"variants must share the seed .*common random numbers",
    ):
        load_variants(base_file, names=[str(other)])


def test_a_variant_setting_its_own_seed_is_refused(tmp_path: Path) -> None:
    path = write_base(tmp_path, "  lucky:\n    run.seed: 99\n")
    with pytest.raises(InputError, match=r"variants\.lucky: run\.seed is 99"):
        load_variants(path)


def test_a_variant_file_named_like_another_variant_clashes(tmp_path: Path) -> None:
    path = write_base(tmp_path, "  other:\n    run.horizon_days: 20\n")
    other = tmp_path / "other.yaml"
    other.write_text(f"extends: {SMALL}\nname: other\n")
    with pytest.raises(InputError, match="the variant name 'other' is already taken"):
        load_variants(path, names=["other", str(other)])


@pytest.mark.parametrize(
    ("block", "match"),
    [
        ("  renamed:\n    name: other\n", r"variants\.renamed\.name: a variant cannot set 'name'"),
        ("  nested:\n    variants: {}\n", "a variant cannot set 'variants'"),
        ("  gap:\n    inventory..default: 1\n", r"variants\.gap\.inventory\.\.default: .*empty"),
        ("  index:\n    products.x.price: 1\n", "is a list, so the next part must be an item"),
        ("  flat:\n    run.seed.value: 1\n", "cannot go into 'run.seed'"),
    ],
)
def test_malformed_variant_keys(tmp_path: Path, block: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        load_variants(write_base(tmp_path, block))


def test_variants_must_be_mappings(tmp_path: Path) -> None:
    path = write_base(tmp_path, "  scalar: 3\n")
    with pytest.raises(InputError, match=r"variants\.scalar"):
        load_variants(path)
