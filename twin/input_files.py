"""Input files twin reads: regular files of a size it can hold, checked before a byte is read.

Every file named by a scenario or a mapping (the scenario, sweep and mapping files and their
``extends:``, ``products_file``, an empirical distribution's ``file``, replay files, the history's
source files) must be a regular file, not ``/dev/zero``, a pipe or a folder, which would be read
until the memory runs out, and at most :data:`MAX_FILE_BYTES` (2 GiB) long; the environment
variable :data:`FILE_LIMIT_ENV` (``TWIN_MAX_FILE_BYTES``, a whole number of bytes) overrides
the limit on a machine with the memory for larger files.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from twin.errors import InputError

#: Largest input file read (bytes), unless :data:`FILE_LIMIT_ENV` says otherwise.
MAX_FILE_BYTES = 2 * 1024**3

#: The environment variable that overrides :data:`MAX_FILE_BYTES` (a whole number of bytes).
FILE_LIMIT_ENV = "TWIN_MAX_FILE_BYTES"


def file_limit_bytes() -> int:
    """The largest input file, in bytes: ``TWIN_MAX_FILE_BYTES`` or :data:`MAX_FILE_BYTES`."""
    text = os.environ.get(FILE_LIMIT_ENV)
    if text is None or not text.strip():
        return MAX_FILE_BYTES
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(
            f"{FILE_LIMIT_ENV}={text!r}: give the largest input file twin may read as a whole "
            f"number of bytes, e.g. {FILE_LIMIT_ENV}={4 * 1024**3} for 4 GiB"
        )
    return value


def check_input_file(path: Path | str, what: str) -> None:
    """Raise InputError unless ``path`` is a regular file within :func:`file_limit_bytes`.

    ``what`` names the file in the message (``products_file``, ``Replay file``; empty: the path
    alone). A missing file
    passes: its reader says it is missing, in its own words.
    """
    name = f"{what} {path}" if what else str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device or pipe)"
        raise InputError(f"{name}: {kind}; give the path of a regular file")
    limit = file_limit_bytes()
    if info.st_size > limit:
        raise InputError(
            f"{name}: the file has {info.st_size:,} bytes, more than twin reads "
            f"({limit:,} bytes); give a smaller file, or raise the limit with the environment "
            f"variable {FILE_LIMIT_ENV} (bytes) if this machine has the memory for it"
        )
