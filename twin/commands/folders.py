"""The output folder of a command: claimed before anything runs, released when the command ends.

:func:`claim_output` takes the folder's lock and prepares its staging folder
(:class:`twin.output_folder.OutputFolder`), so a second command into the same folder, or a folder
that cannot be written, stops before anything is simulated. The command writes into
``folder.path`` inside ``with folder.writing():``, which renames it into place when the block
ends; the lock is dropped when the click command ends, however it ends::

    folder = claim_output(out_dir, "run folder", "run")
    ...  # simulate, with the result store in folder.path / ".store"
    with folder.writing() as target:
        write_run(target, outputs)
"""

from __future__ import annotations

from pathlib import Path

import click

from twin.output_folder import OutputFolder


def claim_output(out_dir: Path, what: str, command: str) -> OutputFolder:
    """Claim ``out_dir`` for the running command; released when its click context closes."""
    folder = OutputFolder(out_dir, what, command).claim()
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(folder.release)
    return folder
