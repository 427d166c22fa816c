"""What every component of one replication shares: its clock, scenario, streams and recorder.

Built once per replication by :func:`twin.model.network.build` and handed to each component
instead of the same six arguments each time. It holds no state of its own: the environment,
streams and recorder are the replication's, so replications still run side by side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import simpy

from twin.model.catalogue import Catalogue
from twin.model.staff import StaffRole
from twin.records import Recorder
from twin.scenario.schema import Scenario
from twin.streams import Streams


@dataclass(frozen=True)
class Context:
    """One replication's shared facts; the base time unit is the day."""

    env: simpy.Environment
    scenario: Scenario
    streams: Streams
    recorder: Recorder
    catalogue: Catalogue
    #: the staffed roles by name (empty without ``staffing``)
    roles: Mapping[str, StaffRole]

    @property
    def start_date(self) -> dt.date:
        """The calendar date of time 0."""
        return self.scenario.run.start_date

    @property
    def horizon_days(self) -> float:
        """The end of the run (days)."""
        return self.scenario.run.horizon_days
