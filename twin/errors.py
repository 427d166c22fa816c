"""Errors a planner can fix, as opposed to bugs in twin.

Anything a planner supplies (a scenario file, a ``--set`` override, a data file) is checked before a
simulation starts, and a problem raises :class:`InputError`. The CLI catches it, prints ``str(err)``
and exits with code 2, never with a traceback: the message must be enough to find and fix the
problem. Every other exception is a bug in twin and keeps its traceback.
"""


class InputError(Exception):
    """Bad input from a planner: a scenario file, a ``--set`` override or a data file.

    The CLI prints ``str(err)`` and exits with code 2, never a traceback.

    Parameters
    ----------
    message : str
        One paragraph that names the file (or ``--set key.path=value``), the dotted key path
        (``segments.retail.arrivals.rate_per_day``), the line where known, and what was expected.
        A validation report may list several such problems, one per line, under a headline.

    Attributes
    ----------
    message : str
        The message as given.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
