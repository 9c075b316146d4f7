"""The dashboard at the top of the back office's home page: the figures of
`billing.insights.selectors`, drawn as SVG charts (`billing.insights.charts`) with their data
tables, for staff who may see invoices, for the business of the host only.

One currency at a time (see the selectors' docstring): `?currency=USD` on the home page shows
another currency the business has invoiced in; anything else shows the business's own.
"""

from __future__ import annotations

from decimal import Decimal

from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal, format_decimal
from django.contrib import admin
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.insights import selectors
from billing.insights.charts import Series, bar_chart, line_chart
from core.dates import babel_locale
from core.money import format_money
from core.roles import may
from subscriptions.periods import local_today

AGEING_LABELS = {
    "current": lambda: _("Not yet due"),
    "1-30": lambda: _("1–30 days"),
    "31-60": lambda: _("31–60 days"),
    "61-90": lambda: _("61–90 days"),
    "90+": lambda: _("Over 90 days"),
}


def dashboard_panel(request: HttpRequest) -> str | None:
    tenant = getattr(request, "tenant", None)
    if tenant is None or not may(request.user, "invoices.view", tenant=tenant):
        return None
    currencies = selectors.insight_currencies(tenant=tenant)
    asked = request.GET.get("currency", "").upper()
    currency = asked if asked in currencies else currencies[0]
    today = local_today(timezone.now(), tenant.timezone)
    context = dashboard_context(tenant=tenant, currency=currency, today=today)
    context["currencies"] = currencies
    context["currency"] = currency
    return render_to_string("admin/billing/insights/dashboard.html", context, request=request)


def dashboard_context(*, tenant, currency: str, today) -> dict:
    locale = babel_locale(translation.get_language() or tenant.locale)

    def money(value: Decimal) -> str:
        return format_money(value, currency, locale)

    def short(value: Decimal) -> str:
        # Axis and bar labels: whole units below a thousand, then 1.2K, 12K, 1.5M…
        if abs(value) < 1000:
            return format_decimal(value, "#,##0", locale=locale)
        return format_compact_decimal(value, locale=locale, fraction_digits=1)

    def count(value: Decimal) -> str:
        return format_decimal(value, locale=locale)

    def month_short(day) -> str:
        # The year on January's label only (twelve months always have one), so that all fit.
        return format_skeleton("yyMMM" if day.month == 1 else "MMM", day, locale=locale)

    def month_long(day) -> str:
        return format_skeleton("yMMMM", day, locale=locale)

    def day_short(day) -> str:
        return format_skeleton("MMMd", day, locale=locale)

    selector_args = {"tenant": tenant, "currency": currency, "today": today}
    mrr = selectors.mrr_by_month(**selector_args)
    months = [m.month for m in mrr]
    axis_months = [month_short(m) for m in months]
    table_months = [month_long(m) for m in months]
    month_column = _("Month")

    mrr_line = line_chart(
        key="mrr",
        title=_("Monthly recurring revenue"),
        description=_(
            "Net monthly recurring revenue at the end of each of the last 12 months, in %(c)s."
        )
        % {"c": currency},
        categories=table_months,
        name=_("MRR"),
        values=[m.mrr for m in mrr],
        money=money,
        tick_label=short,
        first_column=month_column,
        axis_labels=axis_months,
    )
    movements = bar_chart(
        key="mrr-movements",
        title=_("MRR movements"),
        description=_(
            "Each month's MRR gained from new customers and expansion (up) and lost to "
            "contraction and churn (down), in %(c)s."
        )
        % {"c": currency},
        categories=table_months,
        series=[
            Series(_("New"), [m.new for m in mrr], "ki-c2"),
            Series(_("Expansion"), [m.expansion for m in mrr], "ki-c1"),
            Series(_("Contraction"), [-m.contraction for m in mrr], "ki-c3"),
            Series(_("Churn"), [-m.churn for m in mrr], "ki-c4"),
        ],
        money=money,
        tick_label=short,
        stacked=True,
        first_column=month_column,
        axis_labels=axis_months,
        extra_columns=[(_("Net change"), [money(m.net_change) for m in mrr])],
    )

    revenue = selectors.revenue_by_month(**selector_args)
    revenue_chart = bar_chart(
        key="revenue",
        title=_("Revenue by month"),
        description=_(
            "Net invoiced after credit notes, and payments received, in each of the last "
            "12 months, in %(c)s."
        )
        % {"c": currency},
        categories=table_months,
        series=[
            Series(_("Invoiced, net"), [r.net_after_credit_notes for r in revenue], "ki-c1"),
            Series(_("Payments received"), [r.received for r in revenue], "ki-c2"),
        ],
        money=money,
        tick_label=short,
        first_column=month_column,
        axis_labels=axis_months,
        extra_columns=[
            (_("Invoices, net"), [money(r.invoiced_net) for r in revenue]),
            (_("Credit notes, net"), [money(r.credited_net) for r in revenue]),
        ],
    )

    ageing = selectors.receivables_ageing(tenant=tenant, currency=currency, today=today)
    ageing_chart = bar_chart(
        key="ageing",
        title=_("Receivables by age"),
        description=_("What open invoices still owe, by days past their due date, in %(c)s.")
        % {"c": currency},
        categories=[AGEING_LABELS[b.key]() for b in ageing],
        series=[Series(_("Owed"), [b.amount for b in ageing], "ki-c3")],
        money=money,
        tick_label=short,
        label_bars=True,
        first_column=_("Overdue"),
        # Short under the bars (five must fit on a phone); in full in the table.
        axis_labels=[_("Not due"), "1–30", "31–60", "61–90", "90+"],
        extra_columns=[(_("Invoices"), [count(b.count) for b in ageing])],
    )
    churn = selectors.churn_by_month(**selector_args)
    churn_chart = bar_chart(
        key="churn",
        title=_("Churn"),
        description=_(
            "Subscriptions cancelled, and subscriptions that ended, in each of the last 12 months."
        ),
        categories=table_months,
        series=[
            Series(_("Cancelled"), [Decimal(c.cancelled) for c in churn], "ki-c3"),
            Series(_("Ended"), [Decimal(c.ended) for c in churn], "ki-c4"),
        ],
        money=count,
        whole=True,
        tick_label=short,
        first_column=month_column,
        axis_labels=axis_months,
    )
    reasons = selectors.churn_reasons(**selector_args)
    reasons_total = sum(r.count for r in reasons)
    reason_rows = [
        {
            "reason": r.reason or _("No reason given"),
            "count": r.count,
            "share": round(100 * r.count / reasons_total) if reasons_total else 0,
        }
        for r in reasons[:6]
    ]
    if len(reasons) > 6:
        rest = sum(r.count for r in reasons[6:])
        reason_rows.append(
            {
                "reason": _("Other reasons"),
                "count": rest,
                "share": round(100 * rest / reasons_total),
            }
        )

    renewals = selectors.renewals_upcoming(**selector_args)
    renewals_chart = bar_chart(
        key="renewals",
        title=_("Renewals in the next 30 days"),
        description=_(
            "Net amount of the subscription periods to be invoiced in each of the next weeks, "
            "in %(c)s."
        )
        % {"c": currency},
        categories=[day_short(w.first_day) for w in renewals],
        series=[Series(_("Net amount"), [w.amount for w in renewals], "ki-c1")],
        money=money,
        tick_label=short,
        label_bars=True,
        first_column=_("Week"),
        extra_columns=[(_("Renewals"), [count(w.count) for w in renewals])],
    )
    for row, week in zip(renewals_chart.table_rows, renewals, strict=True):
        row[0] = f"{day_short(week.first_day)} – {day_short(week.last_day)}"

    dunning = selectors.dunning_by_month(**selector_args)
    dunning_chart = bar_chart(
        key="dunning",
        title=_("Dunning"),
        description=_(
            "Dunning cases closed in each of the last 12 months: recovered (paid) or "
            "failed (retries ran out)."
        ),
        categories=table_months,
        series=[
            Series(_("Recovered"), [Decimal(d.recovered) for d in dunning], "ki-c2"),
            Series(_("Failed"), [Decimal(d.failed) for d in dunning], "ki-c4"),
        ],
        money=count,
        whole=True,
        tick_label=short,
        first_column=month_column,
        axis_labels=axis_months,
        extra_columns=[(_("Amount recovered"), [money(d.amount_recovered) for d in dunning])],
    )
    dunning_open = selectors.dunning_open(tenant=tenant, currency=currency)
    recovered = sum(d.recovered for d in dunning)
    closed = recovered + sum(d.failed for d in dunning)

    now, before = mrr[-1], mrr[-2]
    owed = sum((b.amount for b in ageing), Decimal(0))
    overdue = sum((b.amount for b in ageing if b.key != "current"), Decimal(0))
    return {
        "today": today,
        "mrr_line": mrr_line,
        "movements": movements,
        "revenue": revenue_chart,
        "ageing": ageing_chart,
        "churn": churn_chart,
        "reasons": reason_rows,
        "reasons_total": reasons_total,
        "renewals": renewals_chart,
        "dunning": dunning_chart,
        "headlines": {
            "mrr": money(now.mrr),
            "mrr_change": money(now.mrr - before.mrr),
            "mrr_up": now.mrr >= before.mrr,
            "arr": money(now.mrr * 12),
            "owed": money(owed),
            "overdue": money(overdue),
            "renewals": ngettext(
                "%(n)s renewal, %(amount)s",
                "%(n)s renewals, %(amount)s",
                sum(w.count for w in renewals),
            )
            % {
                "n": count(sum(w.count for w in renewals)),
                "amount": money(sum((w.amount for w in renewals), Decimal(0))),
            },
            "recovery_rate": (
                format_decimal(Decimal(100 * recovered) / closed, "0", locale=locale) + " %"
                if closed
                else "—"
            ),
            "recovered": money(sum((d.amount_recovered for d in dunning), Decimal(0))),
            "dunning_open": ngettext(
                "%(n)s case open, %(amount)s owed",
                "%(n)s cases open, %(amount)s owed",
                dunning_open.count,
            )
            % {"n": count(dunning_open.count), "amount": money(dunning_open.amount)},
        },
    }


admin.site.add_index_panel(dashboard_panel)
