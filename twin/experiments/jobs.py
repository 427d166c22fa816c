"""Jobs, the unit of work of every experiment: what a job is, how it fails, how it is keyed.

A *job* is one replication of one scenario (or, in tests, one evaluation of any picklable
function): a stable ``key``, a module-level function and its argument. Experiments (``compare``,
``sweep``, ``check``) only build jobs and read outcomes; :class:`twin.experiments.runner.JobRunner`
decides where they run. This module knows nothing of what a job computes (the replication job is
:func:`twin.experiments.replicate.replication_job`) nor where it runs, so the executors, the
result store and the runner can all import it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.errors import InputError
from twin.scenario.schema import Scenario
from twin.scenario.yaml_source import is_path_key

#: Scenario keys that do not change what a replication computes, left out of its hash.
UNHASHED_KEYS = ("name", "description", "currency", "variants", "checks", "products_file")


@dataclass(frozen=True)
class Job:
    """One unit of work: ``fn(arg)``, stored under ``key``.

    ``fn`` must be a module-level function (picklable by reference) and ``arg`` picklable, so the
    job can run in another process or on a Dask worker.
    """

    key: str
    fn: Callable[[Any], Any]
    arg: Any


@dataclass(frozen=True)
class Failure:
    """A job that raised: its key, the exception's one-line message and the traceback.

    ``bad_input`` marks an :class:`~twin.errors.InputError` (say, a replay file read when the
    replication builds): the planner's to fix, not a bug.
    """

    key: str
    error: str
    traceback: str = ""
    bad_input: bool = False


def raise_bad_input(outcomes: Sequence[Any]) -> None:
    """Raise the first outcome that failed on bad input as :class:`InputError`.

    A data file the scenario names (a replay file, say) is read when a replication builds, so its
    problems surface inside a job; they are the planner's to fix in every job alike, so the
    experiment stops with their message (exit 2) rather than recording every point as failed.
    """
    for outcome in outcomes:
        if isinstance(outcome, Failure) and outcome.bad_input:
            raise InputError(outcome.error.removeprefix("InputError: "))


def scenario_hash(scenario: Scenario) -> str:
    """A stable hex digest of everything in ``scenario`` that changes a replication's results.

    Leaves out the name, description, variants, checks and ``run.replications``: two variants that
    differ only in name share their stored results, and adding replications reuses the first ones.
    A file or folder the scenario names (a prices, customers, SKU-mix or rules file, an empirical
    distribution's file, the open state's folder) counts by its contents as well as its path, so
    rewriting it in place does not reuse stale results.
    """
    data = scenario.model_dump(mode="json", exclude=set(UNHASHED_KEYS))
    data["run"].pop("replications", None)
    data = _with_contents(data)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _with_contents(node: Any, key: object = None) -> Any:
    """``node`` with each path under a path key followed by the digest of what it names."""
    if isinstance(node, dict):
        return {k: _with_contents(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_contents(v) for v in node]
    if isinstance(node, str) and node and is_path_key(key):
        return f"{node}#{content_digest(Path(node))}"
    return node


def content_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's files (relative names and bytes, sorted).

    Remembered per file by its size and modification time, so the replications of a sweep
    read each file once, not once per job.
    """
    if path.is_dir():
        digest = hashlib.sha256()
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(item.relative_to(path).as_posix().encode("utf-8") + b"\0")
            digest.update(_file_digest(item).encode("ascii"))
        return digest.hexdigest()[:20]
    return _file_digest(path) if path.is_file() else ""


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _file_digest(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    digest = _DIGESTS.get(key)
    if digest is None:
        digest = _DIGESTS[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
    return digest
