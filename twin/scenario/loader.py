"""Read YAML scenario files, apply ``--set`` overrides, and validate them against a pydantic model.

A scenario reaches the model in three steps, each usable on its own:

1. :func:`load_yaml` reads a file and the chain of files it ``extends`` into one plain ``dict``,
   plus a :class:`SourceMap` that remembers which file and line set each key.
2. :func:`apply_overrides` applies ``--set key.path=value`` overrides from the command line.
3. :func:`validate` checks the ``dict`` against a pydantic v2 model and turns pydantic's errors
   into one :class:`~twin.errors.InputError` whose lines point at the file and line to edit.

:func:`load` runs all three; :func:`dump_yaml` writes the effective scenario back out. Nothing here
knows the scenario schema: any pydantic v2 model class works.

Rules a planner sees
--------------------
``extends: other.yaml``
    A top-level key naming a base file, relative to the folder of the file that contains it. The
    extending file is deep-merged over its base: mappings merge key by key; scalars and lists in the
    extending file replace the base's. A mapping whose type key (``dist`` or ``kind``) differs from
    the base's replaces it whole, since the parameters of one distribution or policy kind mean
    nothing to another. Bases may extend further bases; a cycle is an error.
File paths
    Keys named ``file`` or ending in ``_file`` hold file paths (see :func:`is_path_key`). A relative
    path is made absolute against the folder of the YAML file that set it, or against the current
    folder when set by ``--set``, so a base file in another folder keeps working when extended.
Duplicate keys
    YAML silently keeps the last of two equal keys in one mapping; here that is an error, because it
    is almost always a copy-paste slip that would otherwise change a scenario unnoticed.
"""

import copy
import os
import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import pydantic
import yaml
from pydantic import BaseModel

from twin.errors import InputError

KeyPath = tuple[str | int, ...]
"""A position in a scenario: mapping keys and list indices from the top, e.g.
``("segments", "retail", "weights", 0)``."""

M = TypeVar("M", bound=BaseModel)

_MAX_ERRORS = 10
_MAX_REPR = 60
_MERGE_TAG = "tag:yaml.org,2002:merge"
_INDEX = re.compile(r"\d+")
# A validator of a mapping may start its message with the dotted path, relative to that mapping, of
# the key at fault ("products.3.supplier: ..."); the report then points at that key's line.
_KEY_PREFIX = re.compile(r"([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*): (.+)", re.DOTALL)


# libyaml's parser when the installed PyYAML has it: some ten times faster on large generated
# files (a calibrated model with thousands of SKUs); same safe constructors, same line marks
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):
    """A safe YAML loader whose impossible dates (``2026-02-30``) are YAML errors with a line.

    The safe loader raises a bare ValueError for them, which would carry no line and escape the
    ``yaml.YAMLError`` handlers.
    """

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a valid date ({exc})", node.start_mark
            ) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


@dataclass(frozen=True)
class Origin:
    """Where a value came from.

    Parameters
    ----------
    source : str
        A file path as the user gave it (bases: joined to the extending file's folder), or
        ``"--set a.b=1"`` for a command-line override.
    line : int or None
        1-based line of the key or list item, or None when there is no line (a ``--set`` override,
        or a whole file).
    """

    source: str
    line: int | None = None

    def __str__(self) -> str:
        return self.source if self.line is None else f"{self.source}, line {self.line}"


class SourceMap:
    """Map key paths to the :class:`Origin` that last set them.

    The empty path ``()`` maps to the file the user named, so every lookup in a map built by
    :func:`load_yaml` finds at least that file.
    """

    def __init__(self) -> None:
        self._origins: dict[KeyPath, Origin] = {}

    def set(self, path: Sequence[str | int], origin: Origin) -> None:
        """Record that `origin` set the value at `path`."""
        self._origins[tuple(path)] = origin

    def discard(self, path: Sequence[str | int]) -> None:
        """Forget `path` and every path below it (its value was replaced as a whole)."""
        prefix = tuple(path)
        n = len(prefix)
        for known in [p for p in self._origins if p[:n] == prefix]:
            del self._origins[known]

    def update(self, other: "SourceMap") -> None:
        """Take every entry of `other`, overriding entries for the same paths."""
        self._origins.update(other._origins)

    def lookup(self, path: Sequence[str | int]) -> Origin | None:
        """Return the origin of the longest known prefix of `path`, or None if none is known."""
        key = tuple(path)
        for n in range(len(key), -1, -1):
            origin = self._origins.get(key[:n])
            if origin is not None:
                return origin
        return None

    def __len__(self) -> int:
        return len(self._origins)

    def __repr__(self) -> str:
        return f"SourceMap({len(self)} paths, root={self._origins.get(())})"


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------


def load_yaml(path: Path | str) -> tuple[dict[str, Any], SourceMap]:
    """Read a scenario file and the files it extends into one mapping.

    Parameters
    ----------
    path : pathlib.Path or str
        The file, as the user gave it; error messages quote it unchanged.

    Returns
    -------
    data : dict
        The merged mapping, without ``extends`` keys and with file paths made absolute.
    sources : SourceMap
        The file and 1-based line that set each mapping key and list item.

    Raises
    ------
    InputError
        A file is missing, unreadable or not valid YAML; its top level is not a mapping; a mapping
        has a key twice; ``extends`` is not a string, names a missing file, or forms a cycle.
    """
    return _load_chain(Path(path), str(path), chain=())


def _load_chain(
    path: Path, source: str, chain: tuple[tuple[Path, str], ...]
) -> tuple[dict[str, Any], SourceMap]:
    data, sources = _read_mapping(path, source)
    if "extends" not in data:
        return data, sources
    base_ref = data.pop("extends")
    here = sources.lookup(("extends",))
    sources.discard(("extends",))
    if not isinstance(base_ref, str) or not base_ref.strip():
        raise InputError(
            f"{here}: extends: expected the path of the scenario file to extend, "
            f"relative to this file's folder (got {_short_repr(base_ref)})"
        )
    base_path = path.parent / base_ref
    # Joined to the extending file's name as given, so messages stay relative when the user's were.
    base_source = os.path.normpath(os.path.join(os.path.dirname(source), base_ref))
    seen = (*chain, (path.resolve(), source))
    if base_path.resolve() in {resolved for resolved, _ in seen}:
        names = " -> ".join([name for _, name in seen] + [base_source])
        raise InputError(
            f"{here}: extends cycle: {names}; a file cannot extend itself, directly or through "
            "other files"
        )
    if not base_path.is_file():
        raise InputError(f"{here}: extends: file not found: {base_source}")
    base, base_sources = _load_chain(base_path, base_source, seen)
    merged = _merge(base, data, (), base_sources)
    base_sources.update(sources)
    return merged, base_sources


def _read_mapping(path: Path, source: str) -> tuple[dict[str, Any], SourceMap]:
    """Parse one file into data and origins, without following ``extends``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{source}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not a UTF-8 text file (bad byte at offset {exc.start})"
        ) from exc
    except OSError as exc:
        raise InputError(f"{source}: cannot read the file ({exc.strerror or exc})") from exc

    # One loader both composes the node tree (for lines and duplicate keys) and constructs the data,
    # exactly as yaml.safe_load would (bar clearer errors), so the file is parsed only once.
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if not isinstance(node, yaml.MappingNode):
            got = "nothing (the file is empty)" if node is None else f"a {_node_kind(node)}"
            raise InputError(
                f"{source}: the top level must be a mapping of 'key: value' lines, but it is {got}"
            )
        sources = SourceMap()
        sources.set((), Origin(source))
        _record_nodes(node, (), source, sources, loader, frozenset())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise InputError(_yaml_problem(source, exc)) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    return _resolve_paths(data, path.absolute().parent), sources


def _record_nodes(
    node: yaml.Node,
    path: KeyPath,
    source: str,
    sources: SourceMap,
    loader: yaml.SafeLoader,
    above: frozenset[int],
) -> None:
    """Record the line of every key and list item below `node`, rejecting duplicate keys.

    Runs before construction because constructing a mapping flattens ``<<`` merge keys into it,
    after which an explicit key overriding a merged one would look like a duplicate.
    """
    if id(node) in above:
        raise InputError(
            f"{source}, line {node.start_mark.line + 1}: a YAML alias refers to a mapping or list "
            "that contains it; recursive data is not allowed"
        )
    above = above | {id(node)}
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            sources.set((*path, index), Origin(source, item.start_mark.line + 1))
            _record_nodes(item, (*path, index), source, sources, loader, above)
    elif isinstance(node, yaml.MappingNode):
        # Merged mappings first and the first of several last, so that explicit keys and earlier
        # merges win, as they do in the constructed data.
        for key_node, value_node in reversed(node.value):
            if key_node.tag == _MERGE_TAG:
                merged = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for each in reversed(merged):
                    _record_nodes(each, path, source, sources, loader, above)
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            # Non-scalar keys are left to the constructor, which rejects them as unhashable.
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = loader.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in first_line:
                where = f"mapping '{_dotted(path)}'" if path else "the top level"
                raise InputError(
                    f"{source}, line {line}: duplicate key '{key}' in {where} (first at line "
                    f"{first_line[key]}); YAML would silently keep only the last one, so remove or "
                    "rename one of them"
                )
            first_line[key] = line
            sources.set((*path, key), Origin(source, line))
            _record_nodes(value_node, (*path, key), source, sources, loader, above)


def _yaml_problem(source: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = source if mark is None else f"{source}, line {mark.line + 1}, column {mark.column + 1}"
    problem = exc.problem or exc.context or "cannot parse"
    if exc.problem and exc.context:
        context = exc.context
        if exc.context_mark is not None:
            context += f" started at line {exc.context_mark.line + 1}"
        problem += f" ({context})"
    return f"{where}: invalid YAML: {problem}"


def _node_kind(node: yaml.Node) -> str:
    return "list" if isinstance(node, yaml.SequenceNode) else "single value"


TYPE_KEYS = ("dist", "kind")


def _same_kind(base: Mapping[Any, Any], top: Mapping[Any, Any]) -> bool:
    """False when ``top`` names another distribution or policy kind than ``base``."""
    return all(top.get(k, base.get(k)) == base.get(k) for k in TYPE_KEYS)


def _merge(
    base: dict[Any, Any], top: Mapping[Any, Any], path: KeyPath, base_sources: SourceMap
) -> dict[Any, Any]:
    """Deep-merge `top` over `base`; forget the origins of base values that `top` replaces."""
    merged = dict(base)
    for key, value in top.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and _same_kind(old, value):
            merged[key] = _merge(old, value, (*path, key), base_sources)
        else:
            if key in merged:
                base_sources.discard((*path, key))
            merged[key] = value
    return merged


# ---------------------------------------------------------------------------------------------
# File paths
# ---------------------------------------------------------------------------------------------


def is_path_key(key: object) -> bool:
    """Tell whether a mapping key holds a file path: it is ``file`` or ends in ``_file``.

    Such a value, when it is a non-empty relative path, is rewritten to an absolute path against the
    folder of the YAML file that set it (the current folder for ``--set``); ``~`` is expanded.
    Absolute paths, empty strings and non-strings are kept as they are, for validation to judge.
    Keys such as ``profile`` or ``history_files`` are not path keys.
    """
    return isinstance(key, str) and (key == "file" or key.endswith("_file"))


def _resolve_paths(value: Any, folder: Path, key: object = None) -> Any:
    """Copy `value`, making the relative paths under path keys absolute against `folder`.

    Returns new containers, which also unshares YAML aliases: a later ``--set`` on one alias must
    not change the other.
    """
    if isinstance(value, dict):
        return {k: _resolve_paths(v, folder, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_paths(item, folder) for item in value]
    if is_path_key(key) and isinstance(value, str) and value:
        return os.path.normpath(folder / Path(value).expanduser())
    return value


# ---------------------------------------------------------------------------------------------
# --set overrides
# ---------------------------------------------------------------------------------------------


def apply_overrides(
    data: Mapping[str, Any],
    sources: SourceMap,
    overrides: Sequence[str],
    cwd: Path | None = None,
) -> dict[str, Any]:
    """Apply ``key.path=value`` overrides, in order.

    Parameters
    ----------
    data : Mapping
        The scenario mapping; it is not modified.
    sources : SourceMap
        Updated in place: each overridden path (and everything below it) now comes from
        ``Origin("--set key.path=value", None)``.
    overrides : sequence of str
        ``key.path=value`` strings. The value is parsed as YAML (``3`` is an int, ``0.5`` a
        float, ``[1, 2]`` a list, ``{a: 1}`` a mapping, ``true`` a bool, ``null`` None). A path
        part that is a whole number indexes a list when the value there is a list. Missing or null
        intermediate mappings are created; validation then rejects keys the model does not know.
    cwd : pathlib.Path, optional
        Folder against which relative file paths given by ``--set`` are resolved; defaults to the
        current working directory.

    Returns
    -------
    dict
        A new mapping with the overrides applied.

    Raises
    ------
    InputError
        An override has no ``=``, an empty key part or an empty or invalid value, goes through a
        scalar, or indexes a list out of range or with something other than a whole number.
    """
    folder = (cwd if cwd is not None else Path.cwd()).absolute()
    result = copy.deepcopy(dict(data))
    for override in overrides:
        label = f"--set {override}"
        parts, value = _parse_override(override, label)
        path = _assign(result, parts, value, label, folder)
        sources.discard(path)
        sources.set(path, Origin(label))
    return result


def _parse_override(override: str, label: str) -> tuple[list[str], Any]:
    key, equals, text = override.partition("=")
    if not equals:
        raise InputError(f"{label}: expected key.path=value, e.g. --set horizon_days=365")
    parts = [part.strip() for part in key.split(".")]
    if not all(parts):
        raise InputError(
            f"{label}: the key path '{key.strip()}' has an empty part; write dotted keys such as "
            "segments.retail.arrivals.rate_per_day"
        )
    if not text.strip():
        raise InputError(f"{label}: no value after '='; give a value, or null to clear the key")
    try:
        value = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{label}: the value is not valid YAML ({problem})") from exc
    return parts, value


def _assign(
    root: dict[Any, Any], parts: list[str], value: Any, label: str, folder: Path
) -> KeyPath:
    """Set `value` at `parts` inside `root`.

    Returns the key path of what the override now owns: the value's own path or, when the override
    had to create mappings, the topmost one it created, so that an unknown key among them is
    reported against the override rather than against the file above it.
    """
    node: Any = root
    path: list[str | int] = []
    owned: int | None = None
    for depth, part in enumerate(parts):
        if isinstance(node, dict):
            key: str | int = _dict_key(node, part)
            child = node.get(key)
        else:  # a list: the check at the end of each step lets nothing else through
            key = _list_index(node, part, path, label)
            child = node[key]
        path.append(key)
        if depth == len(parts) - 1:
            node[key] = _resolve_paths(value, folder, key)
            break
        if child is None:
            # Missing, or an empty 'key:' line, which YAML reads as null: start a new mapping.
            child = node[key] = {}
            owned = len(path) if owned is None else owned
        if not isinstance(child, dict | list):
            raise InputError(
                f"{label}: cannot go into '{_dotted(path)}' to set '{parts[depth + 1]}': it holds "
                f"the value {_short_repr(child)}, not a mapping or list"
            )
        node = child
    return tuple(path if owned is None else path[:owned])


def _dict_key(node: dict[Any, Any], part: str) -> str | int:
    # YAML reads a key such as '2024:' as an int; let '--set plan.2024=...' reach it.
    if part not in node and _INDEX.fullmatch(part) and int(part) in node:
        return int(part)
    return part


def _list_index(node: list[Any], part: str, path: list[str | int], label: str) -> int:
    if not _INDEX.fullmatch(part):
        raise InputError(
            f"{label}: '{_dotted(path)}' is a list, so the next part must be an item index "
            f"(0, 1, ...), not '{part}'"
        )
    index = int(part)
    if index >= len(node):
        valid = "it is empty" if not node else f"valid indices are 0 to {len(node) - 1}"
        raise InputError(
            f"{label}: index {index} is out of range for '{_dotted(path)}', a list of "
            f"{len(node)} item(s); {valid}"
        )
    return index


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def validate(
    model_cls: type[M],
    data: Mapping[str, Any],
    sources: SourceMap,
    *,
    context: dict[str, Any] | None = None,
) -> M:
    """Validate `data` against `model_cls`, reporting errors by file, line and key path.

    Parameters
    ----------
    model_cls : type of pydantic.BaseModel
        The model to build.
    data : Mapping
        The mapping to validate, e.g. from :func:`load_yaml` and :func:`apply_overrides`.
    sources : SourceMap
        Origins of the keys in `data`.
    context : dict, optional
        Passed to ``model_validate`` for validators that need it.

    Returns
    -------
    pydantic.BaseModel
        The validated model instance.

    Raises
    ------
    InputError
        A headline naming the file, then one line per problem (at most 10, then "... and N more"):
        ``<source>, line <n>: <dotted.key.path>: <what is expected> (got <value>)``.
    """
    try:
        return model_cls.model_validate(data, context=context)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise InputError(_report(model_cls, data, sources, errors)) from exc


def _report(
    model_cls: type[BaseModel],
    data: Mapping[str, Any],
    sources: SourceMap,
    errors: Sequence[Mapping[str, Any]],
) -> str:
    root = sources.lookup(())
    count = len(errors)
    kind = getattr(model_cls, "FILE_KIND", "scenario")  # e.g. "sweep file"
    lines = [
        f"Invalid {kind} {root.source if root else '<input>'} "
        f"({count} error{'' if count == 1 else 's'}):"
    ]
    lines += ["  " + _describe(model_cls, data, sources, e) for e in errors[:_MAX_ERRORS]]
    if count > _MAX_ERRORS:
        lines.append(f"  ... and {count - _MAX_ERRORS} more")
    return "\n".join(lines)


def _describe(
    model_cls: type[BaseModel],
    data: Mapping[str, Any],
    sources: SourceMap,
    error: Mapping[str, Any],
) -> str:
    """Render one pydantic error as ``<origin>: <key path>: <expected> (got <value>)``."""
    loc = tuple(error["loc"])
    kind = error["type"]
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "value_error" and isinstance(error.get("input"), dict):
        loc, message = _key_in_message(data, loc, message)
    path = _data_path(data, loc, keep_last=kind == "missing")
    origin = sources.lookup(path) or Origin("<input>")
    if kind == "missing":
        expected = "missing required key"
    elif kind == "extra_forbidden":
        expected = f"unknown key '{loc[-1]}'"
        allowed = _allowed_keys(model_cls, loc[:-1])
        if allowed:
            expected += f"; expected one of: {', '.join(allowed)}"
    else:
        expected = message
    # The input of these errors is the enclosing mapping or the unknown key's value: noise here.
    hide = kind in {"missing", "extra_forbidden"} or (
        kind in {"value_error", "assertion_error"} and isinstance(error.get("input"), dict)
    )
    got = "" if hide else f" (got {_short_repr(error.get('input'))})"
    key_path = f"{_dotted(path)}: " if path else ""
    return f"{origin}: {key_path}{expected}{got}"


def _key_in_message(data: Mapping[str, Any], loc: KeyPath, message: str) -> tuple[KeyPath, str]:
    """Move a leading ``key.path: `` of a mapping validator's message into the loc, when that key
    exists in `data` below `loc`; otherwise keep both as they are."""
    match = _KEY_PREFIX.fullmatch(message)
    if match is None:
        return loc, message
    node: Any = data
    for part in _data_path(data, loc, keep_last=False):
        node = node[part]
    found: list[str | int] = []
    for part in match.group(1).split("."):
        if isinstance(node, dict) and part in node:
            key: str | int = part
        elif isinstance(node, list) and _INDEX.fullmatch(part) and int(part) < len(node):
            key = int(part)
        else:
            return loc, message
        found.append(key)
        node = node[key]
    return (*_data_path(data, loc, keep_last=False), *found), match.group(2)


def _data_path(data: Mapping[str, Any], loc: KeyPath, *, keep_last: bool) -> KeyPath:
    """Keep the parts of a pydantic loc that exist in `data`.

    Pydantic adds parts that are not keys in the file: the tag of a discriminated union, the member
    type of a plain union, ``[key]`` for dict keys. Dropping them makes the printed path match the
    file. A missing key does not exist either, but it is the point of the message, so it stays.
    """
    node: Any = data
    path: list[str | int] = []
    for position, part in enumerate(loc):
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            path.append(part)
        elif keep_last and position == len(loc) - 1:
            path.append(part)
    return tuple(path)


def _allowed_keys(model_cls: type[BaseModel], loc: KeyPath) -> list[str] | None:
    """Field names of the model found by following `loc` through the types, or None if unknown."""
    tp: Any = model_cls
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [field.alias or name for name, field in tp.model_fields.items()]
    return None


def _step(tp: Any, part: str | int) -> Any:
    """The type found one loc part below `tp`, or None when it cannot be told."""
    tp = _unwrap(tp)
    origin = get_origin(tp)
    args = get_args(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    if origin in (list, set, frozenset, Sequence) and args:
        return args[0]
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        return args[part] if isinstance(part, int) and part < len(args) else None
    if origin in (dict, Mapping) and len(args) == 2:
        return args[1]
    if origin in (Union, types.UnionType):
        # Pydantic names a union member by its discriminator tag or, in a plain union, its class.
        for member in (_unwrap(arg) for arg in args):
            is_model = isinstance(member, type) and issubclass(member, BaseModel)
            if is_model and (part == member.__name__ or part in _literal_values(member)):
                return member
    return None


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``Optional`` until a plain type or a real union remains."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(tp) if arg is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _literal_values(model: type[BaseModel]) -> Iterable[Any]:
    for field in model.model_fields.values():
        if get_origin(field.annotation) is Literal:
            yield from get_args(field.annotation)


# ---------------------------------------------------------------------------------------------
# Whole loads and output
# ---------------------------------------------------------------------------------------------


def load(
    model_cls: type[M],
    path: Path | str,
    overrides: Sequence[str] = (),
    *,
    context: dict[str, Any] | None = None,
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
    data = apply_overrides(data, sources, overrides)
    return validate(model_cls, data, sources, context=context)


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Write a mapping as YAML, keys in their given order, e.g. the effective scenario of a run.

    Only plain YAML types can be written: pass ``model.model_dump(mode="json")`` for a model.
    """
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, default_flow_style=False)


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in path)


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."
