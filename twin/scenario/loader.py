"""Load a scenario (or any YAML file validated by a pydantic model) in one call, and dump one.

A file reaches a model in three steps, each usable on its own:

1. :func:`twin.scenario.yaml_source.load_yaml` reads a file and the chain of files it ``extends``
   into one plain ``dict``, plus a ``SourceMap`` of which file and line set each key;
2. :func:`twin.scenario.overrides.apply_overrides` applies ``--set key.path=value`` overrides,
   after the rows of any ``--set-file`` lever workbook (:func:`apply_set_files`);
3. :func:`twin.scenario.validation.validate` checks the ``dict`` against a pydantic v2 model and
   turns pydantic's errors into one :class:`~twin.errors.InputError` whose lines point at the file
   and line to edit.

:func:`load` runs all three; :func:`dump_yaml` writes the effective scenario back out. Nothing here
knows the scenario schema: any pydantic v2 model class works.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from twin.scenario.overrides import apply_overrides, apply_values
from twin.scenario.validation import M, validate
from twin.scenario.yaml_source import SourceMap, load_yaml


def load(
    model_cls: type[M],
    path: Path | str,
    overrides: Sequence[str] = (),
    *,
    context: dict[str, Any] | None = None,
    set_files: Sequence[Path | str] = (),
) -> M:
    """Read `path` (following ``extends``), apply `overrides` and validate against `model_cls`.

    Parameters
    ----------
    model_cls : type of pydantic.BaseModel
        The model to build.
    path : pathlib.Path or str
        The scenario file, as the user gave it.
    overrides : sequence of str
        ``key.path=value`` overrides; relative file paths in them are taken from the current folder.
    context : dict, optional
        Passed to ``model_validate``.
    set_files : sequence of path
        Lever workbooks (``--set-file``) whose rows are set before `overrides`.

    Returns
    -------
    pydantic.BaseModel
        The validated model instance.

    Raises
    ------
    InputError
        See :func:`load_yaml`, :func:`apply_overrides` and :func:`validate`.
    """
    data, sources = load_yaml(path)
    data = apply_set_files(data, sources, set_files)
    data = apply_overrides(data, sources, overrides)
    return validate(model_cls, data, sources, context=context)


def apply_set_files(
    data: dict[str, Any], sources: SourceMap, set_files: Sequence[Path | str]
) -> dict[str, Any]:
    """Set the rows of each lever workbook in `set_files`, in order (``--set-file``).

    Relative file paths in a workbook's values are taken from the workbook's folder; messages
    about a row name the workbook, its sheet, row and key.
    """
    from twin.scenario.workbook_overrides import read_workbook

    for file in set_files:
        rows = read_workbook(Path(file), str(file))
        data = apply_values(data, sources, rows, Path(file).absolute().parent)
    return data


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Write a mapping as YAML, keys in their given order, e.g. the effective scenario of a run.

    Only plain YAML types can be written: pass ``model.model_dump(mode="json")`` for a model.
    """
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, default_flow_style=False)
