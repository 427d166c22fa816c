"""Customer-level demand: fit who keeps buying, how often, and how many new customers arrive.

- :mod:`.summaries`: frequency, recency and age per customer from orders;
- :mod:`.pareto_nbd`, :mod:`.bg_nbd`: the two repeat-purchase models (log-likelihood,
  P(alive), expected purchases);
- :mod:`.mle`: maximum likelihood on log parameters with Hessian standard errors;
- :mod:`.select`: fit both, choose by AIC;
- :mod:`.first_purchases`: first orders split into new arrivals and old customers not yet seen,
  and the test of a closed panel (no new customers);
- :mod:`.new_customers`: the new-customer arrival spec from that split;
- :mod:`.residuals`: the day multiplier and in-sample level around the customer model's expectation;
- :mod:`.section`: a segment's ``customer_base`` section, its customers and fit-report rows;
- :mod:`.synthetic`: customer bases with known parameters, for tests.
"""
