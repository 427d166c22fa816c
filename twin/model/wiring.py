"""Declared connections between components, checked before a replication runs.

Most of a component's collaborators are handed to its constructor. Where two components need
each other (the stock calls the fulfilment back when backlogged units arrive; the fulfilment
allocates from the stock), one of them declares the connection by name in ``CONNECTIONS`` and
the builder gives it with :meth:`Wired.connect` once both exist; :func:`check_connections`
then names every declared connection left unset, so a missing one fails at build time rather
than in the middle of a run. (desmod's ``add_connections`` / ``connect`` work the same way.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar


class WiringError(RuntimeError):
    """A component's declared connection is unknown or was never given."""


class Wired:
    """A component with named connections, each an attribute the component annotates."""

    #: the names of the connections the component needs before the run
    CONNECTIONS: ClassVar[tuple[str, ...]] = ()

    def connect(self, name: str, target: object) -> None:
        """Give the connection ``name`` (a declared one) its ``target``."""
        if name not in self.CONNECTIONS:
            raise WiringError(
                f"{type(self).__name__} has no connection {name!r} "
                f"(it declares {', '.join(self.CONNECTIONS) or 'none'})"
            )
        if target is None:
            raise WiringError(f"{type(self).__name__}.{name}: cannot connect None")
        setattr(self, name, target)

    def unconnected(self) -> list[str]:
        """The declared connections not given yet."""
        return [name for name in self.CONNECTIONS if getattr(self, name, None) is None]


def check_connections(components: Iterable[Wired]) -> None:
    """Raise :class:`WiringError` naming every component and connection left unset."""
    missing = [
        f"{type(component).__name__}.{name}"
        for component in components
        for name in component.unconnected()
    ]
    if missing:
        raise WiringError(f"not connected before the run: {', '.join(missing)}")
