"""Money in and out: gateways, saved cards, charge attempts (3-D Secure, idempotency keys),
payments spread over invoices, refunds, Stripe webhooks, dunning and package checkout. Stands
on documents."""
