"""How long an invoice PDF takes: a realistic one-page invoice rendered many times in a warm
process, then in one process per core at once.

    .venv/bin/python bench/pdf_render.py [--renders 60]

Prints one JSON line last: {"renders": N, "median_ms": …, "p95_ms": …, "pdfs_per_s_all_cores": …}
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _invoice():
    """An unsaved invoice with 8 lines, as the billing run makes them (no database needed)."""
    from billing.documents.calculations import allocate, line_amounts, totals
    from core.models import Tenant

    tenant = Tenant(
        slug="bench",
        name="Acme",
        legal_name="Acme Software GmbH",
        primary_colour="#d1242f",
        locale="en",
    )
    lines = []
    for n in range(8):
        amounts = line_amounts(
            quantity=Decimal(n + 1),
            unit_price=Decimal("19.90"),
            tax_rate=Decimal(19),
            currency="EUR",
        )
        lines.append(
            SimpleNamespace(
                description=f"Helpdesk seat {n + 1}",
                quantity=Decimal(n + 1),
                unit_price=Decimal("19.90"),
                tax_rate=Decimal(19),
                net_amount=amounts.net,
                tax_amount=amounts.tax,
                gross_amount=amounts.gross,
                service_start=date(2026, 3, 1),
                service_end=date(2026, 3, 31),
            )
        )
    # As finalization leaves them: VAT per rate, rounded once, each line holding its share.
    summed = totals(lines, currency="EUR")
    for line, shared in zip(lines, allocate(lines, summed.tax_by_rate, "EUR"), strict=True):
        line.tax_amount, line.gross_amount = shared.tax, shared.gross
    invoice = SimpleNamespace(
        tenant=tenant,
        number="INV-2026-004711",
        currency="EUR",
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 15),
        vat_regime="standard",
        seller={
            "name": "Acme Software GmbH",
            "address": "Hauptstraße 1\n10115 Berlin",
            "vat_id": "DE123456704",
            "registration_number": "HRB 123456 B",
            "iban": "DE89370400440532013000",
            "bic": "COBADEFFXXX",
        },
        buyer={
            "name": "Northwind Traders GmbH",
            "number": "C-1001",
            "vat_id": "DE811907980",
            "address_lines": ["Northwind Traders GmbH", "Marktplatz 5", "80331 München"],
            "po_number": "NW-2026-17",
            "language": "de",
            "payment_terms_days": 14,
        },
        net_amount=summed.net,
        tax_amount=summed.tax,
        gross_amount=summed.gross,
    )
    return invoice, lines


def _render_many(count: int) -> list[float]:
    import django

    django.setup()
    from weasyprint import HTML

    from billing.documents.pdf import _engine, render_invoice_html, warm_up

    warm_up()
    invoice, lines = _invoice()
    fonts, stylesheet, image_cache = _engine()
    timings = []
    for _ in range(count + 3):
        start = time.perf_counter()
        html = render_invoice_html(invoice, lines)
        HTML(string=html, base_url=str(ROOT)).write_pdf(
            stylesheets=[stylesheet], font_config=fonts, cache=image_cache
        )
        timings.append((time.perf_counter() - start) * 1000)
    return timings[3:]  # the first renders warm caches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=60)
    args = parser.parse_args()
    os.environ.update({"DEBUG": "true", "LOG_LEVEL": "WARNING"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    timings = sorted(_render_many(args.renders))
    cores = os.cpu_count() or 1
    # All cores at once, each process warm: throughput from the time spent rendering.
    with multiprocessing.get_context("spawn").Pool(cores) as pool:
        per_core = pool.map(_render_many, [args.renders] * cores)
    all_cores = sum(len(t) / (sum(t) / 1000) for t in per_core)
    print(
        json.dumps(
            {
                "renders": args.renders,
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
                "pdfs_per_s_all_cores": round(all_cores, 1),
                "cores": cores,
            }
        )
    )


if __name__ == "__main__":
    main()
