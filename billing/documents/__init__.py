"""Invoices and credit notes as documents: drafts and lines, gapless numbers, finalization,
corrections by credit note, customer credit, PDFs, signed links and the invoice e-mail. The
floor of billing: it imports no other billing sub-package."""
