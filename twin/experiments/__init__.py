"""Experiments: a scenario's replications as jobs on an executor, with a resumable result store.

``replicate`` runs and reduces replications (``twin run``, ``twin validate``); ``compare``,
``sweep`` and ``checks`` build on the same jobs, ``runner``, ``executors`` and ``store``. Above the
model and the KPIs, below the reports (see ``docs/architecture.md``).
"""
