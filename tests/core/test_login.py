"""Login flows through allauth, made tenant-aware."""

import re
import subprocess
import sys

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client, override_settings

from contracts.models import Contact
from tests.conftest import client_for, host_of
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def anonymous(tenant) -> Client:
    return Client(HTTP_HOST=host_of(tenant))


def login(client: Client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


class TestPasswordLogin:
    def test_a_contact_logs_in_and_lands_on_the_dashboard(self, world):
        client = anonymous(world.acme)
        response = login(client, "ALICE@example.test")
        assert response.status_code == 302 and response["Location"] == "/"
        dashboard = client.get("/")
        assert dashboard.status_code == 200
        assert b"Alpha Corp" in dashboard.content

    def test_a_wrong_password_is_refused_with_a_clear_error(self, world):
        response = login(anonymous(world.acme), "alice@example.test", "wrong password")
        assert response.status_code == 200
        assert b"not correct" in response.content

    def test_a_person_of_another_tenant_gets_the_same_answer_as_a_wrong_password(self, world):
        response = login(anonymous(world.acme), "charlie@example.test")
        assert response.status_code == 200
        assert b"not correct" in response.content
        assert "_auth_user_id" not in response.wsgi_request.session

    def test_staff_log_in_and_open_the_back_office(self, world):
        client = anonymous(world.acme)
        response = client.post(
            "/accounts/login/?next=/manage/",
            {"login": "manager@acme.test", "password": PASSWORD, "next": "/manage/"},
        )
        assert response["Location"] == "/manage/"
        assert client.get("/manage/").status_code == 200

    def test_an_unverified_address_must_be_confirmed_first(self, world):
        EmailAddress.objects.filter(user=world.alice).update(verified=False)
        response = login(anonymous(world.acme), "alice@example.test")
        assert response["Location"] == "/accounts/confirm-email/"
        assert len(mail.outbox) == 1

    def test_logging_out_ends_the_session(self, world):
        client = world.client(world.alice)
        client.post("/accounts/logout/")
        assert client.get("/")["Location"].startswith("/accounts/login/")

    def test_failed_logins_are_rate_limited(self, world):
        client = anonymous(world.acme)
        for _ in range(5):
            login(client, "alice@example.test", "wrong password")
        response = login(client, "alice@example.test")  # even the right password now
        assert response.status_code in (200, 429)
        assert b"Too many failed login attempts" in response.content
        assert "_auth_user_id" not in client.session


class TestLoginByCode:
    def _request_code(self, client, email):
        response = client.post("/accounts/login/code/", {"email": email})
        assert response.status_code == 302
        return response

    def test_a_contact_logs_in_with_a_code_sent_by_email(self, world):
        client = anonymous(world.acme)
        self._request_code(client, "alice@example.test")
        assert len(mail.outbox) == 1
        assert mail.outbox[0].subject.startswith("[Acme]")
        assert "Hello from Acme!" in mail.outbox[0].body
        code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mail.outbox[0].body, re.M).group(1)
        response = client.post("/accounts/login/code/confirm/", {"code": code})
        assert response.status_code == 302
        assert client.get("/").status_code == 200

    def test_a_person_of_another_tenant_cannot_log_in_with_a_code(self, world):
        client = anonymous(world.acme)
        self._request_code(client, "charlie@example.test")
        # No code is mailed for a portal this person has no access to.
        assert mail.outbox == []
        assert "_auth_user_id" not in client.session
        assert client.get("/").status_code == 302


class TestPasswordReset:
    def test_no_reset_link_goes_to_a_person_of_another_tenant(self, world):
        response = anonymous(world.acme).post(
            "/accounts/password/reset/", {"email": "charlie@example.test"}
        )
        assert response.status_code == 302  # the same answer as for anyone
        assert mail.outbox == []

    def test_a_reset_link_is_mailed_and_sets_a_new_password(self, world):
        client = anonymous(world.acme)
        client.post("/accounts/password/reset/", {"email": "alice@example.test"})
        assert len(mail.outbox) == 1
        link = (
            re.search(
                r"https://acme\.localhost(/accounts/password/reset/key/\S+)/", mail.outbox[0].body
            ).group(1)
            + "/"
        )
        form_page = client.get(link, follow=True)
        action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
        response = client.post(
            action, {"password1": "a brand new secret 42", "password2": "a brand new secret 42"}
        )
        assert response.status_code == 302
        assert (
            login(anonymous(world.acme), "alice@example.test", "a brand new secret 42").status_code
            == 302
        )


def reset_link(body: str) -> str:
    return re.search(r"(\S+/accounts/password/reset/key/\S+/)", body).group(1)


class TestLinksInMails:
    @override_settings(KONTOR_LINK_SCHEME="https", KONTOR_LINK_PORT=":8443")
    def test_a_reset_link_is_built_from_the_configured_host_not_the_request_host(self, world):
        client = Client(HTTP_HOST="ACME.localhost:8000")
        client.post("/accounts/password/reset/", {"email": "alice@example.test"})
        link = reset_link(mail.outbox[0].body)
        assert link.startswith("https://acme.localhost:8443/accounts/password/reset/key/")
        assert "8000" not in mail.outbox[0].body

    @override_settings(KONTOR_LINK_SCHEME="https", KONTOR_LINK_PORT=":8443")
    def test_a_confirmation_link_is_built_from_the_configured_host(self, world):
        EmailAddress.objects.filter(user=world.alice).update(verified=False)
        login(Client(HTTP_HOST="acme.localhost:8000"), "alice@example.test")
        assert "https://acme.localhost:8443/accounts/confirm-email/" in mail.outbox[0].body
        assert "8000" not in mail.outbox[0].body


PLATFORM_HOST = "localhost"


class TestMailFromThePlatformHost:
    """Only a business's own host sends its users' account mails: the bare platform host
    serves superusers alone, and answers everyone else as it answers an unknown address."""

    @pytest.mark.parametrize("email", ["alice@example.test", "manager@acme.test"])
    def test_no_reset_link_goes_to_a_business_user(self, world, email):
        response = Client(HTTP_HOST=PLATFORM_HOST).post(
            "/accounts/password/reset/", {"email": email}
        )
        assert response.status_code == 302  # the same answer as for anyone
        assert [m for m in mail.outbox if email in m.to] == []

    def test_no_sign_in_code_goes_to_a_business_user(self, world):
        client = Client(HTTP_HOST=PLATFORM_HOST)
        response = client.post("/accounts/login/code/", {"email": "alice@example.test"})
        assert response.status_code == 302
        assert mail.outbox == []
        assert "_auth_user_id" not in client.session

    @pytest.mark.parametrize("host", [PLATFORM_HOST, "globex.localhost"])
    def test_a_business_users_reset_link_works_on_no_other_host(self, world, host):
        anonymous(world.acme).post("/accounts/password/reset/", {"email": "alice@example.test"})
        path = reset_link(mail.outbox[0].body).split("localhost", 1)[1]
        client = Client(HTTP_HOST=host)
        page = client.get(path, follow=True)
        action = page.redirect_chain[-1][0] if page.redirect_chain else path
        client.post(action, {"password1": "taken over 42 !", "password2": "taken over 42 !"})
        world.alice.refresh_from_db()
        assert not world.alice.check_password("taken over 42 !")
        assert world.alice.check_password(PASSWORD)

    def test_a_platform_superuser_gets_a_reset_link_to_the_platform_host(self, world):
        root = UserFactory(is_superuser=True, email="root@example.test")
        Client(HTTP_HOST=f"{PLATFORM_HOST}:8000").post(
            "/accounts/password/reset/", {"email": root.email}
        )
        assert len(mail.outbox) == 1
        assert reset_link(mail.outbox[0].body).startswith(
            "https://localhost/accounts/password/reset/key/"
        )


class TestSignup:
    def test_a_tenant_that_allows_it_lets_a_new_customer_register(self, world):
        client = anonymous(world.acme)
        response = client.post(
            "/accounts/signup/",
            {
                "email": "newco@example.test",
                "password1": "a long enough secret 7",
                "password2": "a long enough secret 7",
            },
        )
        assert response.status_code == 302
        contact = Contact.objects.get(user__email="newco@example.test")
        assert contact.tenant == world.acme and contact.role == "owner"
        assert contact.customer.tenant == world.acme

    def test_a_tenant_that_does_not_allow_it_shows_that_signup_is_closed(self, world):
        client = anonymous(world.globex)
        page = client.get("/accounts/signup/")
        assert page.status_code == 200
        assert b"closed" in page.content.lower() or "fermées".encode() in page.content
        client.post(
            "/accounts/signup/",
            {
                "email": "sneaky@example.test",
                "password1": "a long enough secret 7",
                "password2": "a long enough secret 7",
            },
        )
        assert not Contact.objects.filter(user__email="sneaky@example.test").exists()

    def test_signing_up_with_another_business_users_address_mails_them_nothing(self, world):
        """Review of issue 10: "you already have an account", branded acme, went to a user of
        globex. A business mails only its own people."""
        mail.outbox.clear()
        anonymous(world.acme).post(
            "/accounts/signup/",
            {
                "email": world.charlie.email,
                "password1": "a long enough secret 7",
                "password2": "a long enough secret 7",
            },
        )
        assert mail.outbox == []
        assert not Contact.objects.filter(user=world.charlie, tenant=world.acme).exists()

    def test_the_login_page_offers_signup_only_where_it_is_open(self, world):
        assert b"/accounts/signup/" in anonymous(world.acme).get("/accounts/login/").content
        assert b"/accounts/signup/" not in anonymous(world.globex).get("/accounts/login/").content


class TestTwoFactor:
    @staticmethod
    def _code(secret: str) -> str:
        from allauth.mfa.totp.internal.auth import (
            format_hotp_value,
            hotp_value,
            yield_hotp_counters_from_time,
        )

        counters = list(yield_hotp_counters_from_time())
        return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))

    def _activate_totp(self, client) -> str:
        # Activating asks for the password again, even straight after login.
        client.post("/accounts/reauthenticate/", {"password": PASSWORD})
        page = client.get("/accounts/2fa/totp/activate/")
        assert page.status_code == 200
        secret = page.context["form"].secret
        response = client.post("/accounts/2fa/totp/activate/", {"code": self._code(secret)})
        assert response.status_code == 302
        return secret

    def test_staff_with_totp_must_give_a_code_at_login(self, world):
        manager = world.staff["acme", "manager"]
        with time_machine.travel("2026-11-22 10:00:00", tick=False):
            secret = self._activate_totp(client_for(manager, world.acme))
        assert Authenticator.objects.filter(user=manager, type="totp").exists()

        # A later period: the code used to activate must not be replayed.
        with time_machine.travel("2026-11-22 10:05:00", tick=False):
            fresh = anonymous(world.acme)
            response = login(fresh, "manager@acme.test")
            assert response["Location"] == "/accounts/2fa/authenticate/"
            assert "_auth_user_id" not in fresh.session
            assert fresh.get("/manage/").status_code == 302
            wrong = fresh.post("/accounts/2fa/authenticate/", {"code": "000000"})
            assert wrong.status_code == 200 and "_auth_user_id" not in fresh.session
            fresh.post("/accounts/2fa/authenticate/", {"code": self._code(secret)})
            assert fresh.get("/manage/").status_code == 200

    def test_a_tenant_requiring_mfa_sends_staff_without_it_to_set_it_up(self, world):
        world.acme.staff_mfa_required = True
        world.acme.save()
        client = client_for(world.staff["acme", "support"], world.acme)
        response = client.get("/manage/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/totp/activate/"
        self._activate_totp(client)
        assert client.get("/manage/").status_code == 200


@pytest.mark.parametrize("first", ["portal.accounts", "allauth.account.forms", "portal.urls"])
def test_the_reset_key_generator_loads_whichever_module_is_imported_first(first):
    """Django runs its checks in an order that varies between runs; each may import allauth's
    forms or our account adapter first. Both orders must load the tenant-aware generator."""
    code = (
        "import django, importlib, sys; django.setup(); "
        f"assert 'allauth.account.forms' not in sys.modules; importlib.import_module({first!r}); "
        "from allauth.account.forms import default_token_generator as g; "
        "print(type(g).__module__, type(g).__name__)"
    )
    done = subprocess.run(  # noqa: S603 — our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["portal.reset_keys", "TenantPasswordResetTokenGenerator"]
