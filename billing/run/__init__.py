"""The recurring billing run: due subscription periods become finalized invoices in set-based
batches, then their e-mails and renewal charges are queued. Stands on documents and payments."""
