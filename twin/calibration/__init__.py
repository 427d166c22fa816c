"""Calibration: turn ERP/CRM history into canonical tables, check them, and fit a scenario base.

The steps, each a module usable on its own:

- :mod:`twin.calibration.sources` reads raw tables from a folder of CSV, Excel or Parquet files or
  from a SQL database, with provenance (files, SHA-256 hashes, row counts, encodings);
- :mod:`twin.calibration.mapping` applies a YAML mapping file (its schema in
  :mod:`~twin.calibration.mapping_schema`, its column derivations in
  :mod:`~twin.calibration.derivations`) to get canonical tables;
- :mod:`twin.calibration.history` defines the canonical history schema and casts frames to it;
- :mod:`twin.calibration.quality` sorts every row into used or quarantined
  (:mod:`~twin.calibration.quality_rules`, :mod:`~twin.calibration.quality_output`);
- :mod:`twin.calibration.calibrate` assembles the scenario base from the fit steps
  (:mod:`~twin.calibration.products`, :mod:`~twin.calibration.segments` with
  :mod:`~twin.calibration.arrivals`, :mod:`~twin.calibration.payment`,
  :mod:`~twin.calibration.dispatch`, :mod:`~twin.calibration.stocking`) and the behaviour fits
  (:mod:`twin.calibration.behaviour`), on the distribution fits of :mod:`twin.calibration.fitting`;
- :mod:`twin.calibration.validate` runs a calibrated model over the history and scores it;
  :mod:`twin.calibration.synth` writes the sample history. Only these two run the twin.
"""
