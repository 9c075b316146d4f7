"""The usage REST API (/api/v1/, routed by portal/api_urls.py), by resource: a helpdesk reports
requests and checks whether a customer may open one (usage), reads departments (departments)
and customers' balances and access (customers).

Refusals: no access to a department that needs a package is 403 (`no_access`); no package,
not enough credits or a lapsed subscription package is 402 (`no_package`, `no_credits`,
`package_expired`). Another business's customer or department is 404."""

from subscriptions.api.customers import CustomerBalanceView, CustomerByNumberView
from subscriptions.api.departments import DepartmentListView
from subscriptions.api.usage import UsageCheckView, UsageView

__all__ = [
    "CustomerBalanceView",
    "CustomerByNumberView",
    "DepartmentListView",
    "UsageCheckView",
    "UsageView",
]
