"""Calibration: turn ERP/CRM history into canonical tables, check them, and fit a scenario base.

The steps, each a module usable on its own:

- :mod:`twin.calibration.sources` reads raw tables from a folder of CSV, Excel or Parquet files or
  from a SQL database, with provenance (files, SHA-256 hashes, row counts, encodings);
- :mod:`twin.calibration.mapping` applies a YAML mapping file (source columns, value maps, unit
  conversions, date formats, derived fields) to get canonical tables;
- :mod:`twin.calibration.history` defines the canonical history schema and casts frames to it.
"""
