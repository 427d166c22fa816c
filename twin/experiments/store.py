"""The result store: each job's outcome saved as it finishes, so a stopped experiment resumes.

One SQLite file (``FOLDER/store.sqlite``) holds a row per job key: ``ok`` with the pickled
outcome, or ``failed`` with the error and traceback. Only the driver process writes, and every
row is committed on its own, so a run killed at any moment leaves a consistent store holding
each finished job once. On resume a key with an ``ok`` row is read back instead of run; a
``failed`` key is run again (its error may have been fixed, or may have been passing), and its
row replaced by the new outcome.

Keys come from :func:`twin.experiments.replicate.replication_job` (scenario hash, seed,
replication), so a changed scenario never reads another's results. The ``meta`` table records the
store format and the twin version that wrote it; a store written by another format or version is
refused (its pickled outcomes may not load, or the model may have changed).
"""

from __future__ import annotations

import datetime as dt
import pickle
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from twin import __version__
from twin.errors import InputError
from twin.experiments.jobs import Failure

#: Bumped whenever the tables or the pickled outcomes change shape.
STORE_FORMAT = "1"

FILE_NAME = "store.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    outcome BLOB,
    error TEXT,
    traceback TEXT,
    created TEXT NOT NULL
);
"""


class ResultStore:
    """Job outcomes by key in ``folder/store.sqlite``.

    Parameters
    ----------
    folder : Path
        Created if missing.
    fresh : bool
        Start empty: an existing store file in ``folder`` is deleted first (``--fresh``).
    """

    def __init__(self, folder: Path, fresh: bool = False) -> None:
        self.folder = Path(folder)
        self.path = self.folder / FILE_NAME
        try:
            if fresh:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    self.folder.joinpath(FILE_NAME + suffix).unlink(missing_ok=True)
            self.folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path)
            # WAL: a commit is one append, and a kill mid-write rolls back to the last commit
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._check_meta()
        except sqlite3.DatabaseError as exc:
            self._fail(f"cannot be read as a result store ({exc})")
        except OSError as exc:
            raise InputError(
                f"{self.folder}: cannot create the result store ({exc.strerror or exc}); give an "
                "output folder that can be written"
            ) from None

    def _check_meta(self) -> None:
        wanted = {"format": STORE_FORMAT, "twin_version": __version__}
        found = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        if not found:
            with self._db:
                self._db.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())
            return
        if found != wanted:
            self._fail(
                f"was written by store format {found.get('format')} of twin "
                f"{found.get('twin_version')}; this is format {STORE_FORMAT} of twin {__version__}"
            )

    def _fail(self, problem: str) -> None:
        if hasattr(self, "_db"):
            self._db.close()
        raise InputError(
            f"{self.path}: the stored results {problem}. Run again with --fresh to discard them, "
            f"or delete the folder {self.folder}"
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __contains__(self, key: object) -> bool:
        """True if ``key`` has an ``ok`` row (a failed key is not done)."""
        row = self._db.execute(
            "SELECT 1 FROM results WHERE key = ? AND status = 'ok'", (key,)
        ).fetchone()
        return row is not None

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def get(self, key: str) -> Any:
        """The stored outcome of ``key``; KeyError if it has no ``ok`` row."""
        row = self._db.execute(
            "SELECT outcome FROM results WHERE key = ? AND status = 'ok'", (key,)
        ).fetchone()
        if row is None:
            raise KeyError(key)
        return pickle.loads(row[0])

    def put(self, key: str, outcome: Any) -> None:
        """Store ``outcome`` under ``key`` (replacing a failure), committed at once."""
        if isinstance(outcome, Failure):
            self._write(key, "failed", None, outcome.error, outcome.traceback)
            return
        blob = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        self._write(key, "ok", blob, None, None)

    def put_failure(self, failure: Failure) -> None:
        """Record a failed job, committed at once; it is run again on resume."""
        self._write(failure.key, "failed", None, failure.error, failure.traceback)

    def _write(
        self, key: str, status: str, blob: bytes | None, error: str | None, tb: str | None
    ) -> None:
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        try:
            with self._db:  # one transaction per job
                self._db.execute(
                    "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
                    (key, status, blob, error, tb, created),
                )
        except sqlite3.OperationalError as exc:  # a full disk, a folder made read-only
            raise InputError(
                f"{self.path}: cannot store the result of job {key} ({exc}); free some space, or "
                "make the folder writable, and run the command again: the jobs stored so far "
                "are kept"
            ) from None

    def keys(self) -> list[str]:
        """The keys with an ``ok`` row, sorted."""
        rows = self._db.execute("SELECT key FROM results WHERE status = 'ok' ORDER BY key")
        return [key for (key,) in rows]

    def failures(self) -> list[Failure]:
        """The failed jobs, sorted by key."""
        rows = self._db.execute(
            "SELECT key, error, traceback FROM results WHERE status = 'failed' ORDER BY key"
        )
        return [Failure(key, error or "", tb or "") for key, error, tb in rows]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())
