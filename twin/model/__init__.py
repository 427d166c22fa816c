"""The SimPy model of one replication.

``network.build`` creates every component from the replication's ``context.Context``, connects
them (``wiring``) and plugs in the levers present in the scenario through ``hooks``;
``network.run_replication`` runs it and collects its tables (see ``docs/architecture.md``).
"""
