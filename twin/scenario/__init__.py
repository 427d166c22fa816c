"""The scenario layer: what a planner writes, loaded, merged, overridden and validated.

``schema.Scenario`` assembles one module per section; ``loader.load`` reads a file through
``yaml_source``, ``overrides`` and ``validation``; ``variants``, ``sweep`` and ``checks`` are the
experiment files' own models.
"""
