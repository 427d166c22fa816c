"""Write a calibrated model folder: the scenario base, the fits and the provenance.

``model.yaml`` is a valid scenario base that planners' scenario files ``extends:``;
``behaviour.yaml`` holds the customer-behaviour fits; ``customers-<segment>.parquet`` the
known customers of each segment with a customer base (ids pseudonymised, see
:mod:`twin.calibration.privacy`); ``fit_report.csv`` has one row per fitted
quantity (columns in ``twin.calibration.fit_report.REPORT_COLUMNS``); ``provenance.json`` records
where the history came from (files and their SHA-256 hashes, rows read and written per table, the
period) and the twin version. Quality outputs (``quality.csv``, ``quarantine/``) are written by
the quality step. Every file is a function of the history, the mapping and the twin version
alone (no clock time), so calibrating again gives identical files.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, is_dataclass
from pathlib import Path

import pandas as pd

from twin import __version__
from twin.calibration.calibrate import Calibration
from twin.calibration.fit_report import DIGITS
from twin.calibration.line_prices import PRICES_FILE
from twin.calibration.mapping import MappedHistory
from twin.calibration.privacy import pseudonym, pseudonym_key
from twin.calibration.sources import shown_source
from twin.errors import InputError
from twin.scenario.loader import dump_yaml
from twin.scenario.schema import Scenario
from twin.scenario.yaml_source import resolve_paths

BEHAVIOUR_FILE = "behaviour.yaml"
"""The customer-behaviour fits beside ``model.yaml`` (see ``docs/calibration.md``)."""

BEHAVIOUR_HEADER = (
    "# Customer-behaviour fits, written by `twin calibrate`: price and promotion response, sales\n"
    "# pipeline, after-sales, satisfaction against lateness and the customer loop. Policy levers\n"
    "# take their defaults from here; fit_report.csv lists each quantity with how it was fitted.\n"
)


HEADER = (
    "# Calibrated scenario base, written by `twin calibrate`. Scenario files extend it:\n"
    "#   extends: <this folder>/model.yaml\n"
    "# fit_report.csv says how each value was obtained and which were defaulted.\n"
)


def plain_data(value: object) -> object:
    """A YAML- and JSON-safe copy: dataclasses to dicts, tuples to lists, dates to text, floats
    to :data:`DIGITS` significant digits."""
    if isinstance(value, float):
        return float(f"{value:.{DIGITS}g}")
    if is_dataclass(value):
        return {k: plain_data(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | Path):
        return str(value)
    return value


def _relative_files(files: dict, source: str) -> dict:
    """Provenance with file paths relative to the source folder (a model folder may be shared)."""
    root = Path(source).resolve()
    for entries in files.values():
        for entry in entries:
            path = Path(str(entry.get("source", "")))
            if path.is_absolute() and path.is_relative_to(root):
                entry["source"] = str(path.relative_to(root))
    return files


def with_prices_file(model: dict, name: str) -> dict:
    """The model with ``prices_file: name`` after its products (where a reader looks for it)."""
    out = {}
    for key, value in model.items():
        out[key] = value
        if key == "products":
            out["prices_file"] = name
    return out


#: A segment's SKU mix with more entries than this is written beside the model as a CSV file
#: (``sku_mix_<segment>.csv``, ``sku_mix.weights_file``) rather than as a YAML map: a planner
#: edits a large catalogue in a spreadsheet, and a scenario loads it without parsing the map.
SKU_MIX_FILE_ENTRIES = 1000


def sku_mix_files(model: dict) -> tuple[dict, dict[str, dict[str, float]]]:
    """The model with each large SKU mix replaced by a weights file, and the files' contents
    (file name -> SKU -> weight)."""
    files: dict[str, dict[str, float]] = {}
    segments = {}
    for name, segment in (model.get("segments") or {}).items():
        mix = segment.get("sku_mix") or {}
        weights = mix.get("weights")
        if mix.get("kind") == "weights" and weights and len(weights) > SKU_MIX_FILE_ENTRIES:
            file_name = f"sku_mix_{name}.csv"
            files[file_name] = weights
            mix = {k: v for k, v in mix.items() if k != "weights"} | {"weights_file": file_name}
            segment = {**segment, "sku_mix": mix}
        segments[name] = segment
    if not files:
        return model, files
    return {**model, "segments": segments}, files


def write_model(
    out_dir: Path, calibration: Calibration, mapped: MappedHistory, source: str, mapping: str
) -> dict[str, Path]:
    """Validate the fitted base as a scenario and write the model folder (with its prices file,
    ``prices.parquet``, when calibration fitted one, and its customers files).

    The prices and customers files are written first: the scenario reads them when it is
    validated, with paths taken relative to the model folder as ``model.yaml`` will be.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "model": out_dir / "model.yaml",
        "fit_report": out_dir / "fit_report.csv",
        "provenance": out_dir / "provenance.json",
        "behaviour": out_dir / BEHAVIOUR_FILE,
    }
    key = pseudonym_key(out_dir) if calibration.customers else b""  # the quality step's key
    for file_name, customers in calibration.customers.items():
        hashed = [pseudonym(v, key) for v in customers["customer"]]
        written = customers.assign(customer=hashed)
        paths[file_name] = out_dir / file_name
        written.to_parquet(paths[file_name], index=False)
    model, mixes = sku_mix_files(plain_data(calibration.model))
    checked = sku_mix_files(calibration.model)[0]
    for file_name, weights in mixes.items():
        paths[file_name] = out_dir / file_name
        frame = pd.DataFrame({"sku": list(weights), "weight": list(weights.values())})
        frame.to_csv(paths[file_name], index=False)
    if calibration.prices is not None:
        paths["prices"] = out_dir / PRICES_FILE
        calibration.prices.to_parquet(paths["prices"], index=False)
        model = with_prices_file(model, PRICES_FILE)
        checked = with_prices_file(calibration.model, PRICES_FILE)
    try:
        Scenario.model_validate(resolve_paths(checked, out_dir))
    except ValueError as exc:
        raise InputError(f"The calibrated model does not validate as a scenario: {exc}") from None
    paths["model"].write_text(HEADER + dump_yaml(model), encoding="utf-8")
    paths["behaviour"].write_text(
        BEHAVIOUR_HEADER + dump_yaml(plain_data(calibration.behaviour)), encoding="utf-8"
    )
    calibration.report.to_csv(paths["fit_report"], index=False, float_format=f"%.{DIGITS}g")
    provenance = {
        "twin_version": __version__,
        "source": shown_source(source),  # a database URL without its password
        "mapping": mapping,
        "rows_read": mapped.rows_read,
        "rows_written": mapped.rows_written,
        "files": _relative_files(plain_data(mapped.provenance), source),
        "notes": calibration.notes,
    }
    paths["provenance"].write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
    return paths
