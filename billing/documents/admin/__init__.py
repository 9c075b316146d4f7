"""The back office of documents: credit notes, tax rates, and the pieces the invoice page is
composed of (parties as printed, bulk actions)."""
