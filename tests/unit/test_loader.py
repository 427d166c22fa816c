"""Tests of loading a scenario (twin.scenario.yaml_source, .overrides, .validation, .loader):
extends, file paths, --set overrides and error messages.

The model below is a small stand-in for the real scenario schema, with one of each feature the
loader must report on: nested models that forbid extra keys, a list, ``gt=0``, floats that must be
finite, a discriminated union and a path-valued key.
"""

import os
import re
import textwrap
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, model_validator

from twin.errors import InputError
from twin.scenario.loader import dump_yaml, load
from twin.scenario.overrides import apply_overrides
from twin.scenario.validation import validate
from twin.scenario.yaml_source import Origin, SourceMap, is_path_key, load_yaml

FIXTURES = Path(__file__).parent / "fixtures" / "loader"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Normal(Strict):
    kind: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)


class Lognormal(Strict):
    kind: Literal["lognormal"]
    mean: float
    sd: float = Field(gt=0)


class Arrivals(Strict):
    rate_per_day: float = Field(gt=0)


class Segment(Strict):
    arrivals: Arrivals
    quantity: Annotated[Normal | Lognormal, Field(discriminator="kind")]
    data_file: str
    weights: list[float] = []


class Scenario(Strict):
    name: str
    horizon_days: int = Field(gt=0)
    warmup_days: int = 0
    segments: dict[str, Segment]

    @model_validator(mode="after")
    def _warmup_inside_horizon(self) -> "Scenario":
        if self.warmup_days >= self.horizon_days:
            raise ValueError("warmup_days must be less than horizon_days")
        return self


VALID = """\
name: test
horizon_days: 100
segments:
  retail:
    arrivals:
      rate_per_day: 4.0
    quantity:
      kind: normal
      mean: 3.0
      sd: 1.0
    data_file: retail.csv
    weights: [0.5, 0.5]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line of `path` containing `needle`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def at(path: Path, needle: str) -> str:
    """Regex for the '<file>, line <n>' prefix of the line holding `needle`."""
    return re.escape(f"{path}, line {line_of(path, needle)}: ")


# --- extends and file paths -----------------------------------------------------------------


def test_extends_merges_three_levels_deeply() -> None:
    data, _ = load_yaml(FIXTURES / "variant.yaml")

    assert "extends" not in data
    assert data["name"] == "variant"
    assert data["horizon_days"] == 180
    assert data["warmup_days"] == 30  # only in the base
    retail = data["segments"]["retail"]
    assert retail["arrivals"] == {"rate_per_day": 55.0}  # from mid
    # another kind replaces the base's mapping whole: normal's parameters mean nothing to lognormal
    assert retail["quantity"] == {"kind": "lognormal", "mean": 3.0, "sd": 2.0}
    assert retail["weights"] == [1.0]  # a list replaces the base's list
    assert list(data["segments"]) == ["retail", "wholesale", "online"]
    model = load(Scenario, FIXTURES / "variant.yaml")
    assert isinstance(model.segments["retail"].quantity, Lognormal)


def test_extends_merges_a_mapping_of_the_same_kind_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "name: base\nhorizon_days: 10\nsegments:\n  retail:\n    arrivals: {rate_per_day: 1.0}\n"
        "    quantity: {kind: normal, mean: 3.0, sd: 1.0}\n    data_file: a.csv\n",
        encoding="utf-8",
    )
    (tmp_path / "top.yaml").write_text(
        "extends: base.yaml\nsegments:\n  retail:\n    quantity: {sd: 2.0}\n", encoding="utf-8"
    )
    data, _ = load_yaml(tmp_path / "top.yaml")
    assert data["segments"]["retail"]["quantity"] == {"kind": "normal", "mean": 3.0, "sd": 2.0}


def test_extends_records_the_file_and_line_that_set_each_key() -> None:
    variant = FIXTURES / "variant.yaml"
    mid = FIXTURES / "mid" / "mid.yaml"
    base = FIXTURES / "base" / "base.yaml"
    _, sources = load_yaml(variant)

    assert sources.lookup(()) == Origin(str(variant), None)
    assert sources.lookup(("horizon_days",)) == Origin(str(variant), line_of(variant, "horizon"))
    rate = ("segments", "retail", "arrivals", "rate_per_day")
    assert sources.lookup(rate) == Origin(str(mid), line_of(mid, "55.0"))
    assert sources.lookup(("warmup_days",)) == Origin(str(base), line_of(base, "warmup"))
    # The base's items of a replaced list are forgotten: item 2 falls back to the list's key.
    weights = ("segments", "retail", "weights")
    assert sources.lookup((*weights, 2)) == Origin(str(variant), line_of(variant, "weights"))
    assert sources.lookup(("no", "such", "key")) == Origin(str(variant), None)


def test_path_keys_are_resolved_against_the_file_that_declares_them() -> None:
    data, _ = load_yaml(FIXTURES / "variant.yaml")

    segments = data["segments"]
    assert segments["retail"]["data_file"] == str(FIXTURES / "base" / "data" / "retail.csv")
    assert segments["wholesale"]["data_file"] == str(FIXTURES / "shared" / "wholesale.csv")
    assert segments["online"]["data_file"] == str(FIXTURES / "mid" / "online.csv")


def test_path_key_rule(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sub/paths.yaml",
        """\
        inputs:
          - file: a.csv
          - history_file: /abs/history.csv
        profile: p.csv
        demand_file: ""
        history_files: [x.csv]
        """,
    )
    data, _ = load_yaml(path)

    assert data["inputs"] == [
        {"file": str(tmp_path / "sub" / "a.csv")},
        {"history_file": "/abs/history.csv"},
    ]
    assert data["profile"] == "p.csv"
    assert data["demand_file"] == ""
    assert data["history_files"] == ["x.csv"]
    assert [is_path_key(k) for k in ("file", "lead_time_file", "profile", "files", 3)] == [
        True,
        True,
        False,
        False,
        False,
    ]


def test_extends_cycle_names_the_chain() -> None:
    a = FIXTURES / "cycle" / "a.yaml"
    b = FIXTURES / "cycle" / "b.yaml"
    chain = " -> ".join(re.escape(str(p)) for p in (a, b, a))
    with pytest.raises(InputError, match=f"^{at(b, 'extends')}extends cycle: {chain}; "):
        load_yaml(a)


def test_extends_file_not_found_names_the_extending_file_and_line() -> None:
    path = FIXTURES / "missing_base.yaml"
    missing = re.escape(str(FIXTURES / "no" / "such" / "base.yaml"))
    with pytest.raises(
        InputError, match=f"^{at(path, 'extends')}extends: file not found: {missing}$"
    ):
        load_yaml(path)


def test_extends_must_be_a_string(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: x\nextends: [a.yaml, b.yaml]\n")
    with pytest.raises(InputError, match=f"^{at(path, 'extends')}extends: expected the path"):
        load_yaml(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(InputError, match=f"^{re.escape(str(path))}: file not found$"):
        load_yaml(path)


# --- YAML problems ----------------------------------------------------------------------------


def test_broken_yaml_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "name: x\nsegments:\n  retail: [1, 2\nhorizon_days: 3\n")
    with pytest.raises(
        InputError, match=rf"^{re.escape(str(path))}, line 4, column 13: invalid YAML"
    ):
        load_yaml(path)


@pytest.mark.parametrize(
    ("text", "got"), [("- a\n- b\n", "a list"), ("just words\n", "a single value"), ("", "nothing")]
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, got: str) -> None:
    path = write(tmp_path, "s.yaml", text)
    with pytest.raises(InputError, match=f"top level must be a mapping .* but it is {got}"):
        load_yaml(path)


def test_duplicate_keys_are_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dup.yaml",
        """\
        segments:
          retail:
            arrivals:
              rate_per_day: 4.0
              rate_per_day: 5.0
        """,
    )
    first, second = line_of(path, "4.0"), line_of(path, "5.0")
    expected = (
        f"{at(path, '5.0')}duplicate key 'rate_per_day' in mapping 'segments.retail.arrivals' "
        f"\\(first at line {first}\\)"
    )
    assert second == first + 1
    with pytest.raises(InputError, match=f"^{expected}"):
        load_yaml(path)


def test_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "merge.yaml",
        """\
        common: &common {rate_per_day: 1.0, note: shared}
        arrivals:
          <<: *common
          rate_per_day: 2.0
        """,
    )
    data, sources = load_yaml(path)

    assert data["arrivals"] == {"rate_per_day": 2.0, "note": "shared"}
    assert sources.lookup(("arrivals", "rate_per_day")).line == line_of(path, "2.0")


# --- validation messages ----------------------------------------------------------------------


def test_unknown_key_names_path_file_line_and_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", VALID.replace("rate_per_day", "rate_per_dya"))
    expected = (
        f"{at(path, 'rate_per_dya')}segments.retail.arrivals.rate_per_dya: "
        "unknown key 'rate_per_dya'; expected one of: rate_per_day$"
    )
    with pytest.raises(InputError, match=f"(?m)^  {expected}"):
        load(Scenario, path)


def test_unknown_key_inside_a_union_member_lists_that_members_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", VALID.replace("sd: 1.0", "sigma: 1.0"))
    with pytest.raises(
        InputError,
        match=f"{at(path, 'sigma')}segments.retail.quantity.sigma: unknown key 'sigma'; "
        "expected one of: kind, mean, sd$",
    ):
        load(Scenario, path)


def test_missing_key_path_drops_the_union_tag(tmp_path: Path) -> None:
    path = write(
        tmp_path, "s.yaml", VALID.replace("normal", "lognormal").replace("      sd: 1.0\n", "")
    )
    with pytest.raises(
        InputError,
        match=f"{at(path, 'quantity')}segments.retail.quantity.sd: missing required key: "
        "expected a number, more than 0$",
    ):
        load(Scenario, path)


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", VALID.replace("horizon_days: 100", "horizon_days: soon"))
    with pytest.raises(
        InputError,
        match=f"^Invalid scenario {re.escape(str(path))} \\(1 error\\):\n  "
        f"{at(path, 'horizon')}horizon_days: expected a whole number of days, at least 1 "
        "\\(got 'soon'\\)$",
    ):
        load(Scenario, path)


def test_gt_zero_points_at_the_base_file_that_set_the_value() -> None:
    child = FIXTURES / "negative" / "child.yaml"
    base = FIXTURES / "negative" / "base.yaml"
    with pytest.raises(
        InputError,
        match=f"^Invalid scenario {re.escape(str(child))} \\(1 error\\):\n  {at(base, '-2.0')}"
        "segments.wholesale.arrivals.rate_per_day: must be more than 0 \\(got -2.0\\)$",
    ):
        load(Scenario, child)


def test_nan_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", VALID.replace("mean: 3.0", "mean: .nan"))
    with pytest.raises(
        InputError,
        match=f"{at(path, 'mean')}segments.retail.quantity.mean: "
        "must be a finite number, not NaN or infinity \\(got nan\\)$",
    ):
        load(Scenario, path)


def test_model_level_error_is_attributed_to_the_named_file(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", VALID)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nwarmup_days: 500\n")
    with pytest.raises(
        InputError,
        match=f"\n  {re.escape(str(child))}: warmup_days must be less than horizon_days$",
    ):
        load(Scenario, child)


def test_missing_top_level_key_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", VALID.replace("name: test\n", ""))
    with pytest.raises(
        InputError, match=f"\n  {re.escape(str(path))}: name: missing required key: expected text$"
    ):
        load(Scenario, path)


def test_error_count_is_truncated(tmp_path: Path) -> None:
    bad_weights = "[" + ", ".join(f"w{i}" for i in range(12)) + "]"
    path = write(tmp_path, "s.yaml", VALID.replace("[0.5, 0.5]", bad_weights))
    with pytest.raises(InputError) as caught:
        load(Scenario, path)

    lines = str(caught.value).splitlines()
    assert lines[0] == f"Invalid scenario {path} (12 errors):"
    assert len(lines) == 12
    assert lines[1].endswith("segments.retail.weights.0: expected a number (got 'w0')")
    assert lines[-1] == "  ... and 2 more"
    with pytest.raises(InputError, match=r"\n  \.\.\. and 2 more$"):
        load(Scenario, path)


def test_long_input_is_truncated(tmp_path: Path) -> None:
    path = write(
        tmp_path, "s.yaml", VALID.replace("horizon_days: 100", f"horizon_days: {'x' * 100}")
    )
    with pytest.raises(InputError, match=r"\(got '(x{56})\.\.\.\)$"):
        load(Scenario, path)


# --- --set overrides --------------------------------------------------------------------------


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    return write(tmp_path, "scenario.yaml", VALID)


RATE = ("segments", "retail", "arrivals", "rate_per_day")
QUANTITY = ("segments", "retail", "quantity")
WEIGHTS = ("segments", "retail", "weights")


@pytest.mark.parametrize(
    ("override", "path", "value"),
    [
        ("horizon_days=30", ("horizon_days",), 30),
        ("segments.retail.arrivals.rate_per_day=0.5", RATE, 0.5),
        ("segments.retail.weights=[1, 2]", WEIGHTS, [1, 2]),
        (
            "segments.retail.quantity={kind: lognormal, mean: 1, sd: 0.5}",
            QUANTITY,
            {"kind": "lognormal", "mean": 1, "sd": 0.5},
        ),
        ("name=true", ("name",), True),
    ],
)
def test_set_parses_values_as_yaml(
    scenario: Path, override: str, path: tuple[str, ...], value: object
) -> None:
    data, sources = load_yaml(scenario)
    new = apply_overrides(data, sources, [override])

    node = new
    for key in path:
        node = node[key]
    assert node == value
    assert type(node) is type(value)
    # Everything at and below the path now comes from the override, not from the file.
    assert sources.lookup((*path, 0)) == Origin(f"--set {override}", None)


def test_set_into_a_list_index_records_its_origin(scenario: Path) -> None:
    data, sources = load_yaml(scenario)
    new = apply_overrides(data, sources, ["segments.retail.weights.0=0.25"])

    assert new["segments"]["retail"]["weights"] == [0.25, 0.5]
    assert sources.lookup((*WEIGHTS, 0)) == Origin("--set segments.retail.weights.0=0.25", None)
    assert sources.lookup((*WEIGHTS, 1)) == Origin(str(scenario), line_of(scenario, "weights"))


def test_set_does_not_mutate_its_input(scenario: Path) -> None:
    data, sources = load_yaml(scenario)
    apply_overrides(data, sources, ["segments.retail.weights.0=7", "horizon_days=1"])

    assert data["segments"]["retail"]["weights"] == [0.5, 0.5]
    assert data["horizon_days"] == 100


def test_set_path_key_is_resolved_against_cwd(scenario: Path, tmp_path: Path) -> None:
    data, sources = load_yaml(scenario)
    assert data["segments"]["retail"]["data_file"] == str(tmp_path / "retail.csv")
    cwd = tmp_path / "elsewhere"
    new = apply_overrides(data, sources, ["segments.retail.data_file=in/other.csv"], cwd=cwd)

    assert new["segments"]["retail"]["data_file"] == os.path.join(cwd, "in", "other.csv")


def test_set_creates_missing_mappings_which_validation_rejects(scenario: Path) -> None:
    override = "segments.retail.extra.deep=1"
    data, sources = load_yaml(scenario)
    new = apply_overrides(data, sources, [override])

    assert new["segments"]["retail"]["extra"] == {"deep": 1}
    with pytest.raises(
        InputError,
        match=re.escape(f"\n  --set {override}: segments.retail.extra: unknown key 'extra'; ")
        + "expected one of: arrivals, quantity, data_file, weights$",
    ):
        validate(Scenario, new, sources)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("horizon_days", "expected key.path=value"),
        ("horizon_days=", "no value after '='"),
        ("horizon_days=  ", "no value after '='"),
        ("segments..retail=1", "the key path 'segments..retail' has an empty part"),
        ("horizon_days=[1, 2", "the value is not valid YAML"),
        (
            "horizon_days.max=5",
            "cannot go into 'horizon_days' to set 'max': it holds the value 100",
        ),
        ("segments.retail.weights.2=1", "index 2 is out of range for 'segments.retail.weights'"),
        (
            "segments.retail.weights.first=1",
            "'segments.retail.weights' is a list, so the next part",
        ),
        (
            "segments.retail.weights.-1=1",
            "'segments.retail.weights' is a list, so the next part must be an item index "
            r"\(0, 1, \.\.\.\), not '-1'",
        ),
    ],
)
def test_set_errors_name_the_override(scenario: Path, override: str, message: str) -> None:
    data, sources = load_yaml(scenario)
    with pytest.raises(InputError, match=f"^{re.escape(f'--set {override}')}: {message}"):
        apply_overrides(data, sources, [override])


def test_set_values_are_validated_and_errors_name_the_override(scenario: Path) -> None:
    with pytest.raises(
        InputError,
        match=f"^Invalid scenario {re.escape(str(scenario))} \\(3 errors\\):\n"
        "  --set horizon_days=-1: horizon_days: must be at least 1 day \\(got -1\\)\n"
        "  --set segments.retail.quantity={kind: lognormal}: segments.retail.quantity.mean: "
        "missing required key: expected a number\n",
    ):
        load(Scenario, scenario, ["horizon_days=-1", "segments.retail.quantity={kind: lognormal}"])


# --- small pieces -----------------------------------------------------------------------------


def test_source_map_lookup_uses_the_longest_known_prefix() -> None:
    sources = SourceMap()
    assert sources.lookup(("a",)) is None
    sources.set((), Origin("f.yaml"))
    sources.set(("a",), Origin("f.yaml", 2))
    sources.set(("a", "b"), Origin("g.yaml", 7))

    assert sources.lookup(("a", "b", 0, "c")) == Origin("g.yaml", 7)
    assert sources.lookup(("a", "z")) == Origin("f.yaml", 2)
    assert sources.lookup(("q",)) == Origin("f.yaml")
    sources.discard(("a",))
    assert sources.lookup(("a", "b")) == Origin("f.yaml")
    assert str(Origin("g.yaml", 7)) == "g.yaml, line 7"


def test_dump_yaml_keeps_key_order_and_round_trips(scenario: Path) -> None:
    data, _ = load_yaml(scenario)
    text = dump_yaml(data)

    assert text.startswith("name: test\nhorizon_days: 100\nsegments:\n")
    rewritten = write(scenario.parent, "again.yaml", text)
    assert load_yaml(rewritten)[0] == data
