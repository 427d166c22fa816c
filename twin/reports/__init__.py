"""Reports: charts and PDFs drawn from the files of a result folder, never from a simulation.

``figures``, ``summary_figures`` and ``document`` for a run folder, ``compare_*`` and ``sweep_*``
for a comparison and a sweep; ``charts`` and ``pages`` hold what they all share.
"""
