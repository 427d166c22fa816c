"""Output folders that appear complete or not at all, written by one command at a time.

Every ``twin`` command writes its output folder ``DIR`` through an :class:`OutputFolder`:

- **A lock.** ``.DIR.lock``, a sibling file, is held with ``fcntl.flock`` from the moment the
  command claims the folder until it ends, so a second command into the same folder stops at
  once (:class:`FolderBusy`, exit 2) instead of mixing its results with the first one's. The
  operating system drops the lock when the process dies, however it dies.
- **A staging folder.** Files are written into ``.DIR.partial``, a sibling. Only when every file
  is written is the marker :data:`MARKER` added and the staging folder renamed to ``DIR``; an
  older ``DIR`` is moved aside (``.DIR.old``) just before and deleted just after. A command that
  is killed, or fails, leaves ``DIR`` as it was (the previous complete folder, or nothing).
- **The result store survives.** ``.store`` (``twin.experiments.store``) is kept in the staging
  folder when a command stops early, so ``compare``, ``sweep`` and ``check`` resume where they
  were killed; when ``DIR`` already holds a store and the staging folder none, the store is
  copied in first, so added replications reuse the earlier ones (likewise the pseudonym key of
  a model folder, :data:`KEPT`).
- **Write errors are input errors.** A full disk or a read-only folder while writing becomes an
  :class:`~twin.errors.InputError` naming the file and the reason, with no partial folder left.

``DIR`` is replaced as a whole, so a folder twin did not write (one holding no :data:`MARKER`) is
never replaced: claiming a non-empty one is refused. Renames are atomic within one file system
(the siblings share ``DIR``'s parent); nothing is flushed to the disk (``fsync``), so a power cut
may still lose a folder the command reported written.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from twin.errors import InputError

#: The file in every complete output folder: written last, it marks the folder as twin's.
MARKER = ".twin-output"

#: What a command keeps in its staging folder when it stops early, and copies in from the folder
#: it replaces: the result store (``twin.experiments.store``, for resume) and the pseudonym key
#: (``twin.calibration.privacy``, so calibrations into one folder hash ids alike).
KEPT = (".store", ".pseudonym-key")

#: errno values of a folder that cannot take the output, with what to do about each.
WRITE_ERRORS = {
    errno.ENOSPC: "free some space or give another --out",
    errno.EDQUOT: "free some space or give another --out",
    errno.EROFS: "the file system is read-only; give another --out",
    errno.EACCES: "give a folder you may write, or change its permissions",
    errno.EPERM: "give a folder you may write, or change its permissions",
}


class FolderBusy(InputError):
    """Another twin command holds the output folder's lock."""


def sibling(folder: Path, suffix: str) -> Path:
    """``PARENT/.NAME.suffix``: the hidden sibling of ``folder`` with that suffix."""
    return folder.parent / f".{folder.name}.{suffix}"


def write_error(exc: OSError, what: str, staging: Path, final: Path) -> InputError:
    """The input error for ``exc``, raised while writing ``what`` into ``staging``: the path as
    it would be in ``final`` and the reason."""
    path = Path(exc.filename) if exc.filename else final
    if path.is_absolute() and path.is_relative_to(staging):
        path = final / path.relative_to(staging)
    advice = WRITE_ERRORS.get(exc.errno or 0, "check the folder and try again")
    return InputError(f"{path}: cannot write the {what} ({exc.strerror or exc}); {advice}")


class OutputFolder:
    """The output folder ``final`` of one command: locked, staged, committed.

    Parameters
    ----------
    final : Path
        The folder the command's user asked for (``--out``).
    what : str
        The folder in messages: ``run folder``, ``sweep folder``, ``model folder``.
    command : str
        The command name, written in :data:`MARKER`.

    Attributes
    ----------
    path : Path
        The staging folder the command writes into (``.NAME.partial`` beside ``final``).
    """

    def __init__(self, final: Path, what: str = "output folder", command: str = "twin") -> None:
        self.final = Path(final)
        self.what = what
        self.command = command
        where = Path(os.path.abspath(self.final))  # `--out .` has a name and a parent too
        self.path = sibling(where, "partial")
        self._old = sibling(where, "old")
        self._lock_path = sibling(where, "lock")
        self._lock: int | None = None
        self.committed = False

    # claiming -------------------------------------------------------------------------------

    def claim(self) -> OutputFolder:
        """Take the lock and prepare the staging folder; InputError if either is impossible."""
        try:
            if self.final.exists() and not self.final.is_dir():
                raise InputError(
                    f"--out {self.final}: cannot create the {self.what} (it is an existing "
                    "file); give a folder path that is not an existing file"
                )
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._acquire()
            self._recover()
            self._refuse_foreign()
            self._prepare()
        except OSError as exc:
            self.release()
            raise InputError(
                f"--out {self.final}: cannot create the {self.what} ({exc.strerror or exc}); "
                "give a folder path that can be written"
            ) from None
        except InputError:
            self.release()
            raise
        return self

    def _acquire(self) -> None:
        while True:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise FolderBusy(
                    f"--out {self.final}: another twin command is writing this folder (it holds "
                    f"{self._lock_path}); wait for it to finish, or give another --out"
                ) from None
            # the holder before us may have removed the file after we opened it: lock the
            # file that is there now, or two commands would each hold a lock
            try:
                same = os.stat(self._lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._lock = fd
                return
            os.close(fd)

    def _recover(self) -> None:
        """Finish or undo what a command killed while replacing the folder left behind."""
        if not self._old.exists():
            return
        if not self.final.exists() and (self.path / MARKER).exists():
            os.rename(self.path, self.final)  # killed between the two renames: finish
        shutil.rmtree(self._old)

    def _refuse_foreign(self) -> None:
        if not self.final.is_dir() or (self.final / MARKER).exists():
            return
        entries = sorted(p.name for p in self.final.iterdir())
        if entries:
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise InputError(
                f"--out {self.final}: the folder holds files twin did not write ({shown}); "
                f"twin replaces its {self.what} as a whole, so give a new folder, or empty or "
                f"delete this one"
            )

    def _prepare(self) -> None:
        if self.path.exists():
            self._clear_staging()
        self.path.mkdir(exist_ok=True)
        for name in KEPT:
            earlier, here = self.final / name, self.path / name
            if here.exists() or not earlier.exists():
                continue
            if earlier.is_dir():
                shutil.copytree(earlier, here)
            else:
                shutil.copy2(earlier, here)

    def _clear_staging(self) -> None:
        """Delete all but the kept entries of the staging folder."""
        for entry in self.path.iterdir():
            if entry.name in KEPT:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    # writing --------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[Path]:
        """Write the files into :attr:`path` in this block; it commits the folder at its end.

        An ``OSError`` of a full disk or a folder that cannot be written becomes an
        :class:`~twin.errors.InputError` (exit 2) naming the path and the reason; on any error
        the files written so far are deleted (the result store is kept).
        """
        try:
            yield self.path
            self.commit()
        except OSError as exc:
            self._discard()
            if exc.errno in WRITE_ERRORS:
                raise write_error(exc, self.what, self.path, self.final) from None
            raise
        except BaseException:
            self._discard()
            raise

    def commit(self) -> None:
        """Mark the staging folder complete and rename it to the final folder."""
        (self.path / MARKER).write_text(f"twin {self.command}\n", encoding="utf-8")
        if self.final.exists():
            os.rename(self.final, self._old)
            os.rename(self.path, self.final)
            shutil.rmtree(self._old)
        else:
            os.rename(self.path, self.final)
        self.committed = True

    def _discard(self) -> None:
        try:
            if self.path.exists():
                self._clear_staging()
                if not any(self.path.iterdir()):
                    self.path.rmdir()
        except OSError:
            pass  # best effort: the next command into this folder clears it again

    # releasing ------------------------------------------------------------------------------

    def release(self) -> None:
        """Discard an uncommitted staging folder (keeping the store) and drop the lock."""
        if self._lock is None:
            return
        if not self.committed:
            self._discard()
        with suppress(OSError):
            os.unlink(self._lock_path)  # under the lock: _acquire allows for it
        os.close(self._lock)
        self._lock = None

    def __enter__(self) -> OutputFolder:
        return self.claim()

    def __exit__(self, *exc: object) -> None:
        self.release()
