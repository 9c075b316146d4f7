"""The person's language: the switcher in the top bar and the language page of their login.

Which language a page is in, and how it relates to the language of documents and e-mails:
core.middleware.TenantLocaleMiddleware."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.i18n import set_language as django_set_language

from core.services import user_language_set
from portal.forms import LanguageForm


def set_language(request: HttpRequest) -> HttpResponse:
    """The switcher: Django's view (the cookie, the redirect back), and for a logged-in person
    the choice saved with their login too, so that it outranks any browser's."""
    response = django_set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_language_set(user=request.user, language=language, tenant=request.tenant)
    return response


@login_required
def language_preference(request: HttpRequest) -> HttpResponse:
    """See and change the saved language, or give the choice back to the browser."""
    user = request.user
    form = LanguageForm(
        request.POST if request.method == "POST" else None, initial={"language": user.language}
    )
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        user_language_set(user=user, language=language, tenant=request.tenant)
        response = redirect("account_language")
        # The cookie would otherwise outrank the browser once the saved choice is cleared.
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        else:
            response.delete_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        with translation.override(language or request.LANGUAGE_CODE):
            messages.success(request, _("Your language is saved."))
        return response
    saved = dict(settings.LANGUAGES).get(user.language, "")
    return render(request, "account/language.html", {"form": form, "saved_language": saved})
