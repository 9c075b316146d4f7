from django import forms
from django.utils.translation import gettext_lazy as _


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you cancelling?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Please tell us why you are cancelling.")},
    )
    confirm = forms.BooleanField(
        label=_("I understand that the subscription ends on the date shown."),
        error_messages={"required": _("Please confirm the cancellation.")},
    )


class ChangeTariffForm(forms.Form):
    tariff = forms.IntegerField(widget=forms.HiddenInput)


class PackageBuyForm(forms.Form):
    confirm_forfeit = forms.BooleanField(
        required=False,
        label=_("I understand that what is left of my current package is forfeited."),
    )


class AutoTopupForm(forms.Form):
    """The credit package bought automatically when the balance runs low; empty: off."""

    package = forms.ModelChoiceField(queryset=None, required=False, label=_("Buy automatically"))

    def __init__(self, *args, packages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = packages
