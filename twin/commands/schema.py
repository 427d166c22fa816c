"""The ``twin schema`` command: the JSON Schema of scenario files, for editors that check YAML."""

from __future__ import annotations

import json
from pathlib import Path

import click


def scenario_json_schema(partial: bool = False) -> dict:
    """The JSON Schema of scenario files; ``partial`` drops required keys, for files that
    ``extends:`` a base and so state only what they change."""
    from twin.scenario.schema import Scenario

    document = Scenario.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "twin scenario"
    document["properties"]["extends"] = {
        "type": "string",
        "description": "Base scenario file (relative to this one), deep-merged under this file.",
    }
    document["properties"]["overrides"] = {
        "type": "string",
        "description": "Lever workbook (.xlsx, relative to this file) whose rows are set over "
        "this file and its base.",
    }
    if partial:
        _drop_required(document)
    return document


def _drop_required(node: object) -> None:
    if isinstance(node, dict):
        node.pop("required", None)
        for value in node.values():
            _drop_required(value)
    elif isinstance(node, list):
        for value in node:
            _drop_required(value)


@click.command(name="schema")
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--partial", is_flag=True, help="No required keys: for scenario files that extend a base."
)
def schema(out_file: Path | None, partial: bool) -> None:
    """Print the JSON Schema of scenario files, for editors that validate YAML as you type."""
    text = json.dumps(scenario_json_schema(partial), indent=2) + "\n"
    if out_file is None:
        click.echo(text, nl=False)
    else:
        out_file.write_text(text, encoding="utf-8")
