"""The demo's pages on the bare host: the home page with every link and login, and the outbox
(list, message, its HTML part in a sandbox, attachments). Demo mode only, bare host only."""

import io
from urllib.parse import urlsplit

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from billing.models import PaymentLink
from core.models import AuditEntry
from core.outbox import OutboxEmailBackend, outbox_names
from tests.conftest import host_of
from tests.factories import ModuleFactory, TariffFactory
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + b"\x00\x01binary" * 500 + b"\n%%EOF\n"


@pytest.fixture
def demo(settings, tmp_path):
    settings.KONTOR_DEMO_OUTBOX = True
    settings.KONTOR_OUTBOX_DIR = tmp_path / "outbox"
    return settings


@pytest.fixture
def bare() -> Client:
    return Client(HTTP_HOST="localhost:8000")


def send(
    subject="[Acme] Invoice 2026-000001", html="<p>Pay <b>now</b><script>alert(1)</script></p>"
):
    message = EmailMultiAlternatives(
        subject=subject,
        body="Pay here: https://acme.localhost:8000/l/i/abc/",
        from_email="Acme <billing@localhost>",
        to=["customer1@acme.test"],
    )
    message.attach_alternative(f"<html><head></head><body>{html}</body></html>", "text/html")
    message.attach("Invoice 2026-000001.pdf", PDF, "application/pdf")
    OutboxEmailBackend(stream=io.StringIO()).send_messages([message])
    return outbox_names()[0]


def test_the_outbox_lists_date_from_to_and_subject_newest_first(demo, bare):
    send("[Acme] First")
    name = send("[Acme] Second")
    with assert_max_queries(2):  # the session, at most: the e-mails are files
        response = bare.get("/outbox/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("[Acme] Second") < html.index("[Acme] First")
    assert "customer1@acme.test" in html and "Acme &lt;billing@localhost&gt;" in html
    assert f'href="/outbox/{name}/"' in html


def test_the_outbox_pages_fifty_at_a_time(demo, bare):
    for n in range(51):
        send(f"Mail {n:02}")
    first = bare.get("/outbox/").content.decode()
    assert "Mail 50" in first and "Mail 00" not in first and "?page=2" in first
    assert "Mail 00" in bare.get("/outbox/?page=2").content.decode()
    assert bare.get("/outbox/?page=abc").status_code == 200  # the first page, not a 500


def test_a_message_shows_its_text_its_html_in_a_sandbox_and_its_attachments(demo, bare):
    name = send()
    html = bare.get(f"/outbox/{name}/").content.decode()
    assert 'href="https://acme.localhost:8000/l/i/abc/"' in html  # the text part, links clickable
    sandbox = 'sandbox="allow-popups allow-popups-to-escape-sandbox"'
    assert f'<iframe class="outbox-html" {sandbox} src="/outbox/{name}/html/"' in html
    assert "alert(1)" not in html  # the HTML part is only in the frame
    assert f'href="/outbox/{name}/attachments/1/"' in html and "Invoice 2026-000001.pdf" in html


def test_the_html_part_is_served_sandboxed_and_framable_only_by_the_outbox(demo, bare):
    name = send()
    response = bare.get(f"/outbox/{name}/html/")
    assert response.status_code == 200
    assert '<base target="_blank">' in response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "sandbox allow-popups allow-popups-to-escape-sandbox" in policy
    assert "frame-ancestors 'self'" in policy and "default-src 'none'" in policy
    assert "'self'" not in policy.split("script-src")[-1].split(";")[0]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # Every other page stays unframable.
    assert bare.get(f"/outbox/{name}/")["X-Frame-Options"] == "DENY"


def test_an_attachment_downloads_with_its_name_and_type(demo, bare):
    name = send()
    response = bare.get(f"/outbox/{name}/attachments/1/")
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Invoice 2026-000001.pdf"'


@pytest.mark.parametrize(
    "path",
    [
        "/outbox/20990101-000000-000000-00000000.eml/",
        "/outbox/..%2F..%2Fpyproject.toml/",
        "/outbox/{name}/attachments/2/",
        "/outbox/{name}/attachments/0/",
        "/outbox/nonsense/html/",
    ],
)
def test_unknown_messages_and_attachments_are_404(demo, bare, path):
    name = send()
    assert bare.get(path.format(name=name)).status_code == 404


def test_a_message_without_html_has_no_html_page(demo, bare):
    OutboxEmailBackend(stream=io.StringIO()).send_messages(
        [EmailMultiAlternatives(subject="Plain", body="Only text", to=["a@acme.test"])]
    )
    [name] = outbox_names()
    assert "<iframe" not in bare.get(f"/outbox/{name}/").content.decode()
    assert bare.get(f"/outbox/{name}/html/").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/", "/outbox/", "/outbox/{name}/", "/outbox/{name}/html/", "/outbox/{name}/attachments/1/"],
)
def test_everything_is_404_when_demo_mode_is_off(demo, bare, path):
    name = send()
    demo.KONTOR_DEMO_OUTBOX = False
    assert bare.get(path.format(name=name)).status_code == 404


@pytest.mark.parametrize(
    "path", ["/outbox/", "/outbox/{name}/", "/outbox/{name}/html/", "/outbox/{name}/attachments/1/"]
)
def test_a_businesss_host_cannot_browse_the_outbox(demo, world, path):
    """The outbox holds every business's e-mails: a platform page, never on a tenant's host,
    even for its owner."""
    name = send()
    for client in (
        Client(HTTP_HOST=host_of(world.acme)),
        world.client(world.staff["acme", "owner"]),
    ):
        assert client.get(path.format(name=name)).status_code == 404


def test_a_businesss_host_keeps_its_dashboard_at_the_root(demo, world):
    response = world.client(world.alice).get("/")
    assert response.status_code == 200
    assert "Kontor demo" not in response.content.decode()


def test_the_bare_host_keeps_its_404_at_the_root_outside_demo_mode(settings, bare):
    settings.KONTOR_DEMO_OUTBOX = False
    assert bare.get("/").status_code == 404
    assert bare.get("/demo/portal-link/").status_code == 404


@pytest.fixture
def payment_link(world):
    tariff = TariffFactory(
        tenant=world.acme, module=ModuleFactory(tenant=world.acme, name="Helpdesk")
    )
    link = PaymentLink.objects.create(
        tenant=world.acme, name="Helpdesk: welcome offer", module=tariff.module
    )
    link.tariffs.set([tariff])
    return link


def test_the_home_page_links_each_business_its_back_office_the_outbox_and_the_demo_links(
    demo, bare, world, payment_link
):
    send()
    with assert_max_queries(5):
        response = bare.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for slug in ("acme", "globex"):
        assert f'href="http://{slug}.localhost:8000/"' in html
        assert f'href="http://{slug}.localhost:8000/manage/"' in html
        assert f"owner@{slug}.test" in html  # the demo logins
    assert 'href="/outbox/"' in html and "1 e-mail sent so far" in html
    assert f'href="http://acme.localhost:8000/buy/{payment_link.slug}/"' in html
    assert "Helpdesk: welcome offer" in html
    # A portal-link button per account owner: alice and bob at acme, charlie at globex.
    for email in ("alice@example.test", "bob@example.test", "charlie@example.test"):
        assert f'name="email" value="{email}"' in html
    assert "kontor-demo" in html  # the demo password
    # Its portal-link buttons may land on the businesses' hosts, and on nothing else.
    policy = response["Content-Security-Policy"]
    assert "form-action 'self' http://*.localhost:8000" in policy


def test_the_home_page_says_what_to_do_without_any_business(demo, bare):
    html = bare.get("/").content.decode()
    assert "No business yet" in html and "seed_demo" in html


def test_a_portal_link_button_signs_the_owner_in_on_the_business_host(demo, bare, world):
    response = bare.post("/demo/portal-link/", {"business": "acme", "email": "alice@example.test"})
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert (url.scheme, url.netloc) == ("http", "acme.localhost:8000")
    assert url.path.startswith("/l/portal/")
    assert AuditEntry.objects.filter(tenant=world.acme, action="customer.portal_link_copy").exists()
    # The link works on that host: its page names the contact.
    page = Client(HTTP_HOST="acme.localhost").get(url.path)
    assert page.status_code == 200 and "alice@example.test" in page.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"business": "globex", "email": "alice@example.test"},  # another business's contact
        {"business": "acme", "email": "nobody@example.test"},
        {"business": "acme", "email": "owner@acme.test"},  # staff, no contact
        {},
    ],
)
def test_a_portal_link_only_for_that_businesss_account_owner(demo, bare, world, data):
    assert bare.post("/demo/portal-link/", data).status_code == 404


def test_a_portal_link_is_refused_on_a_get_and_on_a_business_host(demo, bare, world):
    assert bare.get("/demo/portal-link/").status_code == 405
    client = Client(HTTP_HOST=host_of(world.acme))
    assert (
        client.post(
            "/demo/portal-link/", {"business": "acme", "email": "alice@example.test"}
        ).status_code
        == 404
    )
