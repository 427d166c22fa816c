"""The commands of ``twin``, one module each, and the options they share (``options``).

`twin.cli` holds the group and registers them.
"""
