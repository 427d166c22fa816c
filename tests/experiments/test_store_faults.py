"""A result store on a disk that fills up: exit 2 with the store's path, earlier results kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from twin.errors import InputError
from twin.experiments.store import ResultStore


class FullDisk:
    """Stands in for the SQLite connection once the disk is full: every write fails."""

    def __init__(self, real: sqlite3.Connection) -> None:
        self.real = real

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, sql: str, *args: object) -> object:
        if sql.startswith("INSERT"):
            raise sqlite3.OperationalError("database or disk is full")
        return self.real.execute(sql, *args)

    def close(self) -> None:
        self.real.close()


def test_a_full_disk_while_storing_is_an_input_error_and_keeps_what_was_stored(
    tmp_path: Path,
) -> None:
    with ResultStore(tmp_path / ".store") as store:
        store.put("a", {"profit": 1.0})
        store._db = FullDisk(store._db)  # type: ignore[assignment]
        with pytest.raises(InputError, match=r"store\.sqlite: cannot store the result of job b "):
            store.put("b", {"profit": 2.0})
    with ResultStore(tmp_path / ".store") as store:
        assert store.keys() == ["a"] and store.get("a") == {"profit": 1.0}
