"""Self-service ordering: the portal's catalogue and checkout, and the payment links that sell a
plan to strangers. Stands on the run (the first invoice is the run's own) and on payments (the
card charged at once)."""
