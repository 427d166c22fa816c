"""Fit the twin's distribution vocabulary to observed values: durations, delays, counts.

:func:`fit_continuous` fits durations and delays (lead times, payment delays, transit days),
:func:`fit_count` fits counts (lines per order, units per line), and :func:`fit_grouped` applies
either to each group of a table (a supplier, a segment) under one pooling rule. Each returns a
:class:`FitResult` whose ``dist`` is a plain dict that :func:`twin.distributions.parse_distribution`
accepts and a scenario file can hold, with a table of every candidate tried and the reason for the
choice, so a planner can see why a model was picked and overrule it.

The rules, in one place:

* Maximum likelihood for every parametric candidate; location fixed at 0 (every quantity in the
  twin is >= 0). ``normal`` is the twin's normal, truncated at 0, and is fitted as such.
* Zeros: gamma, lognormal and weibull have a density of 0 or infinity at 0 for almost every
  parameter value, so when the data contain zeros they are skipped (listed in the table with the
  reason) rather than fitted to shifted data; exponential and normal remain.
* Choice (continuous): lowest AIC among the candidates whose goodness-of-fit p-value is at least
  ``gof_alpha``; if none passes, ``empirical`` on the values (thinned to at most
  ``max_empirical_values`` equally spaced quantiles). The test is Kolmogorov-Smirnov for values
  measured on a continuous scale.
* Whole days: a duration between two *dates* (an invoice date and a payment date) is a whole
  number of days, and a continuous density fitted to it is wrong twice: the likelihood ignores the
  rounding and KS rejects every family for the ties. When every value is a whole number the fit
  uses the likelihood of the observed day counts instead: with both events uniform within their
  day, a true duration T is recorded as D = k with weight 1 - |T - k| (the difference of two day
  truncations), so P(D = k) = G(k + 1) - 2 G(k) + G(k - 1) with G(x) the integral of the cdf from
  0 to x (in closed form per family, through its partial expectation). Goodness of fit is then a
  chi-square test of the day counts (adjacent days merged until each expects at least 5).
* Choice (counts): lowest AIC among poisson, negative binomial and a discrete pmf with at most
  ``max_support`` points.
* Pooling: groups with fewer than ``min_n`` values are fitted together as one ``"pooled"`` group.

Nothing here draws random numbers; the same data give the same result.

The modules: :mod:`.result` (``FitResult``, the candidate table and the choice among
candidates), :mod:`.families` (each continuous family by maximum likelihood), :mod:`.continuous`
(``fit_continuous``), :mod:`.day_counts` (the day-count likelihood and its chi-square test for
whole-day durations) with :mod:`.day_families` (each family's cdf and partial expectation in closed
form), :mod:`.counts` (``fit_count``) and :mod:`.pooling` (``fit_grouped``).
"""
