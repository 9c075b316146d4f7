"""Portal pages of subscriptions, by area: the list and one subscription with its module's
details (pages), and changing one: another tariff, cancelling, withdrawing either (changes)."""

from subscriptions.views.changes import (
    subscription_cancel,
    subscription_change,
    subscription_undo_cancel,
    subscription_undo_change,
)
from subscriptions.views.pages import (
    module_image,
    subscription_detail,
    subscription_list,
    subscription_module_data,
)

__all__ = [
    "module_image",
    "subscription_cancel",
    "subscription_change",
    "subscription_detail",
    "subscription_list",
    "subscription_module_data",
    "subscription_undo_cancel",
    "subscription_undo_change",
]
