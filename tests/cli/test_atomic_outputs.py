"""Output folders appear complete or not at all (``twin.output_folder``), through the commands.

Faults are injected where a real one would strike: a full disk (``OSError(ENOSPC)``) raised by the
writer after some files are written, a read-only folder (``chmod``, or ``EROFS``/``EACCES``
injected when the tests run as root, for whom ``chmod`` changes nothing), a second writer holding
the lock in another process, and a ``SIGKILL`` while the run folder is being written (slow: a
real ``twin`` process).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from twin.cli import cli
from twin.errors import InputError
from twin.output_folder import MARKER, FolderBusy, OutputFolder

SMALL = Path(__file__).resolve().parent / "fixtures" / "small.yaml"
SHORT = ("--set", "run.horizon_days=20", "--replications", "1", "--workers", "1", "--quiet")


def run(out: Path, *extra: str) -> Result:
    return CliRunner().invoke(cli, ["run", str(SMALL), "--out", str(out), *SHORT, *extra])


def siblings(out: Path) -> list[str]:
    """Everything beside ``out`` that the folder machinery may leave: partial, old, lock."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


# the folder on its own -------------------------------------------------------------------


def test_a_committed_folder_holds_the_files_and_the_marker_and_nothing_is_left_beside(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with OutputFolder(out, "run folder", "run") as folder, folder.writing() as target:
        assert target != out and not out.exists()  # written aside until complete
        (target / "kpis.csv").write_text("a\n1\n")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "kpis.csv"]
    assert (out / MARKER).read_text() == "twin run\n"
    assert siblings(out) == []


def test_a_failed_write_keeps_the_older_complete_folder_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputFolder(out) as folder, folder.writing() as target:
        (target / "kpis.csv").write_text("old\n")
    with pytest.raises(RuntimeError), OutputFolder(out) as folder, folder.writing() as target:
        (target / "kpis.csv").write_text("new\n")
        raise RuntimeError("killed half-way")
    assert (out / "kpis.csv").read_text() == "old\n"
    assert siblings(out) == []


def test_a_new_folder_replaces_the_older_one_as_a_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputFolder(out) as folder, folder.writing() as target:
        (target / "orders.csv").write_text("stale\n")
    with OutputFolder(out) as folder, folder.writing() as target:
        (target / "kpis.csv").write_text("new\n")
    assert not (out / "orders.csv").exists()  # no file of the older run survives
    assert (out / "kpis.csv").read_text() == "new\n"


def test_a_folder_twin_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(InputError, match=r"holds files twin did not write \(notes\.txt\)"):
        OutputFolder(tmp_path).claim()
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    assert siblings(tmp_path) == []


def test_the_store_survives_a_stop_and_is_carried_into_the_next_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputFolder(out) as folder:
        (folder.path / ".store").mkdir()
        (folder.path / ".store" / "store.sqlite").write_text("jobs 1-3")
        (folder.path / "kpis.csv").write_text("partial\n")
    # stopped before writing: the staging folder keeps only the store, for the resume
    assert not out.exists()
    partial = tmp_path / ".out.partial"
    assert sorted(p.name for p in partial.iterdir()) == [".store"]
    with OutputFolder(out) as folder, folder.writing() as target:
        assert (target / ".store" / "store.sqlite").read_text() == "jobs 1-3"
    assert (out / ".store" / "store.sqlite").read_text() == "jobs 1-3"
    # the next command into the folder starts from a copy of its store
    with OutputFolder(out) as folder:
        assert (folder.path / ".store" / "store.sqlite").read_text() == "jobs 1-3"


def test_a_kill_between_the_two_renames_is_finished_by_the_next_command(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old, partial = tmp_path / ".out.old", tmp_path / ".out.partial"
    old.mkdir()
    (old / "kpis.csv").write_text("old\n")
    partial.mkdir()
    (partial / "kpis.csv").write_text("new\n")
    (partial / MARKER).write_text("twin run\n")  # complete: the marker is written last
    with OutputFolder(out):
        pass
    assert (out / "kpis.csv").read_text() == "new\n"
    assert siblings(out) == []


def test_a_held_lock_stops_a_second_writer(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputFolder(out), pytest.raises(FolderBusy, match="another twin command is writing"):
        OutputFolder(out).claim()
    OutputFolder(out).claim().release()  # free again once the first is done


# through the commands ---------------------------------------------------------------------


def test_a_full_disk_while_writing_exits_2_with_the_path_and_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    real = pd.DataFrame.to_csv
    written: list[str] = []

    def fill_up(frame: pd.DataFrame, path: object = None, *args: object, **kw: object) -> object:
        if written:  # the first file goes through, the disk is full at the second
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        written.append(str(path))
        return real(frame, path, *args, **kw)

    monkeypatch.setattr(pd.DataFrame, "to_csv", fill_up)
    result = run(out, "--no-report")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "No space left on device" in result.output
    assert "summary.csv: cannot write the run folder" in result.output
    assert written and not out.exists()
    assert siblings(out) == []  # the first file, written aside, is gone too


def test_a_full_disk_leaves_the_older_run_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert run(out, "--no-report").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full(*args: object, **kw: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "kpis.csv")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    assert run(out, "--no-report", "--seed", "9").exit_code == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_read_only_folder_exits_2_with_the_path_and_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = tmp_path / "locked"
    parent.mkdir()
    out = parent / "out"
    if os.geteuid() == 0:  # root writes through chmod: inject what the kernel would say
        import twin.output_folder as output_folder

        real_open = os.open

        def read_only(path: object, *args: object, **kw: object) -> int:
            if str(path).startswith(str(parent)):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            return real_open(path, *args, **kw)

        monkeypatch.setattr(output_folder.os, "open", read_only)
        reason = "Read-only file system"
    else:
        parent.chmod(0o555)
        reason = "Permission denied"
    try:
        result = run(out, "--no-report")
    finally:
        parent.chmod(0o755)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"--out {out}: cannot create the run folder ({reason})" in result.output
    assert not out.exists()


def test_permission_denied_while_writing_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args: object, **kw: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "daily.csv")

    monkeypatch.setattr(pd.DataFrame, "to_csv", denied)
    result = run(tmp_path / "out", "--no-report")
    assert result.exit_code == 2, result.output
    assert "daily.csv: cannot write the run folder (Permission denied)" in result.output


def test_a_second_command_into_a_folder_another_process_writes_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from twin.output_folder import OutputFolder\n"
            "OutputFolder(sys.argv[1]).claim()\n"
            "print('ready', flush=True)\n"
            "time.sleep(120)\n",
            str(out),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        result = run(out, "--no-report")
        assert result.exit_code == 2, result.output
        assert f"--out {out}: another twin command is writing this folder" in result.output
        assert "Traceback" not in result.output
    finally:
        holder.kill()
        holder.wait()
    # the kernel dropped the dead holder's lock: the folder can be written now
    assert run(out, "--no-report").exit_code == 0
    assert (out / MARKER).exists()


@pytest.mark.slow
def test_a_run_killed_while_writing_leaves_no_complete_looking_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    partial = tmp_path / ".out.partial"
    command = [sys.executable, "-m", "twin.cli", "run", str(SMALL), "--out", str(out), *SHORT]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    # the tables are written first, the charts and the PDF take a second or more after them
    while not (partial / "kpis.csv").exists():
        assert process.poll() is None, "the run ended before it was killed"
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not out.exists()
    assert not (partial / MARKER).exists()  # the staging folder never looks complete
    result = run(out)  # the next run clears the leftovers and completes
    assert result.exit_code == 0, result.output
    assert {"kpis.csv", "summary.csv", "report.pdf", MARKER} <= {p.name for p in out.iterdir()}
    assert siblings(out) == []
