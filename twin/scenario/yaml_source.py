"""The YAML source of a scenario: files read with the line of every key, ``extends:`` merged,
file paths resolved.

:func:`load_yaml` reads a file and the chain of files it ``extends`` into one plain ``dict``, plus a
:class:`SourceMap` that remembers which file and line set each key, so a later message can point
at the line to edit. Nothing here knows the scenario schema.

Rules a planner sees
--------------------
``extends: other.yaml``
    A top-level key naming a base file, relative to the folder of the file that contains it. The
    extending file is deep-merged over its base: mappings merge key by key; scalars and lists in the
    extending file replace the base's. A mapping whose type key (``dist`` or ``kind``) differs from
    the base's replaces it whole, since the parameters of one distribution or policy kind mean
    nothing to another. Bases may extend further bases; a cycle is an error.
``promotions[spring-tools]:``
    A key naming one entry of a list of the base, by its ``name`` (or ``from`` date, ``date``,
    ``sku``: :data:`~twin.scenario.key_paths.ENTRY_KEYS`), merges its mapping into that entry
    alone, key by key as above; the rest of the list stays the base's. A list written without
    brackets still replaces the base's whole, so no existing file changes meaning. An entry that
    is not in the base's list is an error naming the entries there are.
``overrides: levers.xlsx``
    A top-level key naming a lever workbook (relative to the file's folder): its rows are set
    like ``--set`` over the file merged with its bases; a key set both by the file and by a row is
    an error, so neither silently wins.
File paths
    Keys named ``file`` or ending in ``_file`` hold file paths (see :func:`is_path_key`). A relative
    path is made absolute against the folder of the YAML file that set it, or against the current
    folder when set by ``--set``, so a base file in another folder keeps working when extended.
Duplicate keys
    YAML silently keeps the last of two equal keys in one mapping; here that is an error, because it
    is almost always a copy-paste slip that would otherwise change a scenario unnoticed.
"""

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from twin.errors import InputError
from twin.input_files import check_input_file
from twin.scenario.key_paths import (
    ENTRY_KEY,
    Entry,
    KeyPath,
    dotted,
    find_entry,
    short_repr,
    split_key_path,
)

_MERGE_TAG = "tag:yaml.org,2002:merge"


# libyaml's parser when the installed PyYAML has it: some ten times faster on large generated
# files (a calibrated model with thousands of SKUs); same safe constructors, same line marks
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLoader(_SafeBase):
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


YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", YamlLoader.construct_yaml_timestamp)


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

    def move(self, old: Sequence[str | int], new: Sequence[str | int]) -> None:
        """Re-file `old` and every path below it under `new` (a named list entry's key, once the
        entry's index is known)."""
        prefix, n = tuple(old), len(old)
        for known in [p for p in self._origins if p[:n] == prefix]:
            self._origins[(*new, *known[n:])] = self._origins.pop(known)

    def first_below(self, path: Sequence[str | int]) -> Origin | None:
        """The origin of `path` or of a key below it, if any is known (not of a key above)."""
        prefix, n = tuple(path), len(path)
        return next((o for p, o in self._origins.items() if p[:n] == prefix and n), None)

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
        has a key twice; ``extends`` is not a string, names a missing file, or forms a cycle; a
        ``list[name]`` key names no entry of a base's list; an ``overrides:`` workbook is bad
        (``twin.scenario.workbook_overrides``) or sets a key its file sets too.
    """
    data, sources = _load_chain(Path(path), str(path), chain=())
    _no_entry_keys_left(data, (), sources)
    return data, sources


def _no_entry_keys_left(node: Any, path: KeyPath, sources: SourceMap) -> None:
    """Reject a ``name[entry]`` key that found no list of a base to change."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            _no_entry_keys_left(item, (*path, index), sources)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and ENTRY_KEY.fullmatch(key):
                name = split_key_path(key)[0]
                raise InputError(
                    f"{sources.lookup((*path, key))}: '{key}' changes one entry of the list "
                    f"'{dotted((*path, name))}' of the base file, but no base file has that list "
                    "here (a file that extends none, or a base without it); write the whole list "
                    f"as '{name}:' instead"
                )
            _no_entry_keys_left(value, (*path, key), sources)


def _load_chain(
    path: Path, source: str, chain: tuple[tuple[Path, str], ...]
) -> tuple[dict[str, Any], SourceMap]:
    data, sources = _read_mapping(path, source)
    workbook = data.pop("overrides", None)
    here = sources.lookup(("overrides",))
    sources.discard(("overrides",))
    merged, merged_sources = _extend(path, source, chain, data, sources)
    if workbook is None:
        return merged, merged_sources
    if not isinstance(workbook, str) or not workbook.strip():
        raise InputError(
            f"{here}: overrides: expected the path of a lever workbook (.xlsx, as `twin template` "
            f"writes it), relative to this file's folder (got {short_repr(workbook)})"
        )
    shown = os.path.normpath(os.path.join(os.path.dirname(source), workbook))
    return _apply_workbook(merged, merged_sources, sources, path.parent / workbook, shown)


def _apply_workbook(
    data: dict[str, Any], sources: SourceMap, own: SourceMap, workbook: Path, shown: str
) -> tuple[dict[str, Any], SourceMap]:
    """Set the rows of `workbook` in `data`, refusing a key the file (`own`) also sets."""
    from twin.scenario.key_setting import assign
    from twin.scenario.workbook_overrides import read_workbook

    own_keys = SourceMap()
    own_keys.update(own)  # the file's own keys, before the workbook's rows are added
    folder = workbook.absolute().parent
    for label, parts, value in read_workbook(workbook, shown):
        path = assign(data, parts, value, label, lambda key, v: resolve_paths(v, folder, key))
        clash = own_keys.first_below(path)
        if clash is not None:
            raise InputError(
                f"{label}: the scenario file sets this key too ({clash}); set each key in one "
                "place, the workbook or the file"
            )
        sources.discard(path)
        sources.set(path, Origin(label))
    return data, sources


def _extend(
    path: Path,
    source: str,
    chain: tuple[tuple[Path, str], ...],
    data: dict[str, Any],
    sources: SourceMap,
) -> tuple[dict[str, Any], SourceMap]:
    """`data` merged over the chain of files it ``extends``, with their sources."""
    if "extends" not in data:
        return data, sources
    base_ref = data.pop("extends")
    here = sources.lookup(("extends",))
    sources.discard(("extends",))
    if not isinstance(base_ref, str) or not base_ref.strip():
        raise InputError(
            f"{here}: extends: expected the path of the scenario file to extend, "
            f"relative to this file's folder (got {short_repr(base_ref)})"
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
    merged = merge(base, data, (), base_sources, sources)
    base_sources.update(sources)
    return merged, base_sources


def _read_mapping(path: Path, source: str) -> tuple[dict[str, Any], SourceMap]:
    """Parse one file into data and origins, without following ``extends``."""
    check_input_file(path, "")
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
    loader = YamlLoader(text)
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
    return resolve_paths(data, path.absolute().parent), sources


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
                where = f"mapping '{dotted(path)}'" if path else "the top level"
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


def same_kind(base: Mapping[Any, Any], top: Mapping[Any, Any]) -> bool:
    """False when ``top`` names another distribution or policy kind than ``base``."""
    return all(top.get(k, base.get(k)) == base.get(k) for k in TYPE_KEYS)


def merge(
    base: dict[Any, Any],
    top: Mapping[Any, Any],
    path: KeyPath,
    base_sources: SourceMap,
    top_sources: SourceMap | None = None,
) -> dict[Any, Any]:
    """Deep-merge `top` over `base`; forget the origins of base values that `top` replaces.

    A key of `top` such as ``promotions[spring]`` merges into that one entry of the base's list
    (after the plain keys, so ``promotions:`` and ``promotions[spring]:`` in one file mean the
    new list with that entry changed); `top_sources`, when given, is updated to the entry's path.
    """
    merged = dict(base)
    entries = []
    for key, value in top.items():
        if isinstance(key, str) and ENTRY_KEY.fullmatch(key):
            entries.append((key, value))
            continue
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and same_kind(old, value):
            merged[key] = merge(old, value, (*path, key), base_sources, top_sources)
        else:
            if key in merged:
                base_sources.discard((*path, key))
            merged[key] = value
    for key, value in entries:
        _merge_entry(merged, key, value, path, base_sources, top_sources)
    return merged


def _merge_entry(
    merged: dict[Any, Any],
    key: str,
    value: Any,
    path: KeyPath,
    base_sources: SourceMap,
    top_sources: SourceMap | None,
) -> None:
    """Merge `value` into the list entry that ``key`` (``name[label]...``) names in `merged`."""
    where = top_sources.lookup((*path, key)) if top_sources is not None else None
    name, *labels = split_key_path(key)
    if not isinstance(merged.get(name), list):
        got = "nothing" if merged.get(name) is None else f"{short_repr(merged[name])}"
        raise InputError(
            f"{where or key}: '{key}' changes one entry of the list '{dotted((*path, name))}', "
            f"but the base has {got} there, not a list"
        )
    holder: Any = merged
    step: str | int = name
    target: list[str | int] = [*path, name]
    for label in labels:
        if not isinstance(label, Entry) or not isinstance(holder[step], list):
            raise InputError(f"{where or key}: '{key}': only lists have named entries")
        items = holder[step] = list(holder[step])  # a copy: the base's list is not changed
        try:
            index = find_entry(items, label)
        except ValueError as exc:
            raise InputError(
                f"{where or key}: '{key}': in the list '{dotted(target)}' of the base, {exc}"
            ) from None
        holder, step = items, index
        target.append(index)
    old = holder[step]
    if isinstance(old, dict) and isinstance(value, dict) and same_kind(old, value):
        holder[step] = merge(dict(old), value, tuple(target), base_sources, top_sources)
    else:
        base_sources.discard(target)
        holder[step] = value
    if top_sources is not None:
        top_sources.move((*path, key), target)


#: Keys that hold a folder's path, resolved like file paths.
FOLDER_KEYS = frozenset({"initial_state"})


def is_path_key(key: object) -> bool:
    """Tell whether a mapping key holds a file path: it is ``file`` or ends in ``_file`` (or
    names a folder, :data:`FOLDER_KEYS`).

    Such a value, when it is a non-empty relative path, is rewritten to an absolute path against the
    folder of the YAML file that set it (the current folder for ``--set``); ``~`` is expanded.
    Absolute paths, empty strings and non-strings are kept as they are, for validation to judge.
    Keys such as ``profile`` or ``history_files`` are not path keys.
    """
    return isinstance(key, str) and (key in FOLDER_KEYS or key == "file" or key.endswith("_file"))


def resolve_paths(value: Any, folder: Path, key: object = None) -> Any:
    """Copy `value`, making the relative paths under path keys absolute against `folder`.

    Returns new containers, which also unshares YAML aliases: a later ``--set`` on one alias must
    not change the other.
    """
    if isinstance(value, dict):
        return {k: resolve_paths(v, folder, k) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_paths(item, folder) for item in value]
    if is_path_key(key) and isinstance(value, str) and value:
        return os.path.normpath(folder / Path(value).expanduser())
    return value
