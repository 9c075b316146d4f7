"""Billing: what customers owe and pay. One Django app (label `billing`) in four sub-packages,
each with its own models → services → selectors → views/admin/tasks:

- `documents`: invoices and lines, gapless numbering, finalization (`finalization.py`, the one
  rule for the VAT regime, totals, frozen parties and dates), credit notes and customer credit,
  PDFs, signed links, invoice e-mails;
- `payments`: gateways (bank transfer, Stripe), saved cards, charge attempts, payments and
  their allocation, refunds, webhooks, dunning, package checkout;
- `run`: the recurring billing run and its batch writers (COPY on PostgreSQL);
- `collections`: payment reminders and statements of account.

They stand on each other: `documents ← payments ← run`, `documents ← payments ← collections`
(import-linter checks it, `make lint`). What spans them lives above all four: `urls.py`, the
composed back office in `admin/`, and `models.py`, which only gathers their models for Django.
"""
