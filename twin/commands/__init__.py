"""The experiment commands of ``twin`` (compare, sweep, check), one module each."""
