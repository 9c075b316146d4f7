"""Migration core 0008 moves each business's free-text address and registration number into the
structured fields, losing nothing: what it cannot place stays in the street lines or in the
"other registration" field."""

from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

migration = import_module("core.migrations.0008_tenant_address_to_structured")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Hauptstraße 1\n10115 Berlin", ("Hauptstraße 1", "", "10115", "Berlin")),
        ("12 rue de la Paix\n75002 Paris", ("12 rue de la Paix", "", "75002", "Paris")),
        ("Hauptstraße 1, 10115 Berlin", ("Hauptstraße 1", "", "10115", "Berlin")),
        (
            "c/o Acme\nGebäude 3\nMain St 5\nD-10115 Berlin",
            ("c/o Acme", "Gebäude 3, Main St 5", "10115", "Berlin"),
        ),
        ("Via Roma 1\n00184 Roma RM", ("Via Roma 1", "", "00184", "Roma RM")),
        ("Keizersgracht 1\n1012 AB Amsterdam", ("Keizersgracht 1", "", "1012 AB", "Amsterdam")),
        ("Bahnhofstrasse 10\n8001 Zürich", ("Bahnhofstrasse 10", "", "8001", "Zürich")),
        # Not "postcode city": every line stays, in the street lines.
        ("1 Harbour Road\nDublin 2", ("1 Harbour Road", "Dublin 2", "", "")),
        ("Somewhere 1", ("Somewhere 1", "", "", "")),
        ("  \n", ("", "", "", "")),
    ],
)
def test_the_free_text_address_is_split_into_structured_lines(text, expected):
    split = migration.split_postal_address(text)
    assert (
        split["address_line_1"],
        split["address_line_2"],
        split["postal_code"],
        split["city"],
    ) == expected


@pytest.mark.parametrize(
    "value,country,expected",
    [
        ("HRB 123456 B", "DE", {"register_number": "HRB 123456 B"}),
        (
            "Amtsgericht Berlin-Charlottenburg, HRB 123456 B",
            "DE",
            {
                "register_court": "Amtsgericht Berlin-Charlottenburg",
                "register_number": "HRB 123456 B",
            },
        ),
        ("SIREN 303 265 045", "FR", {"siren": "303265045"}),
        ("RCS Paris 303 265 045", "FR", {"rcs_city": "Paris", "siren": "303265045"}),
        ("30326504500003", "FR", {"siret": "30326504500003", "siren": "303265045"}),
        ("REA MI-1234567", "IT", {"rea_number": "MI-1234567"}),
        # A SIREN whose check digit is wrong, or a German number for a French business: kept.
        ("SIREN 303 265 046", "FR", {"registration_number": "SIREN 303 265 046"}),
        ("HRB 123456", "FR", {"registration_number": "HRB 123456"}),
        ("Ticaret Sicil No 12345", "TR", {"registration_number": "Ticaret Sicil No 12345"}),
        ("", "DE", {}),
    ],
)
def test_the_registration_goes_to_its_field_by_country(value, country, expected):
    assert migration.split_registration(value, country) == expected


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_existing_rows_and_can_be_reversed():
    executor = MigrationExecutor(connection)
    before = [("core", "0007_tenant_structured_identity")]
    after = [("core", "0008_tenant_address_to_structured")]
    try:
        executor.migrate(before)
        old_apps = executor.loader.project_state(before).apps
        OldTenant = old_apps.get_model("core", "Tenant")
        OldTenant.objects.create(
            slug="old",
            name="Old",
            country="DE",
            address="Hauptstraße 1\nHinterhaus\n10115 Berlin",
            registration_number="Amtsgericht Berlin-Charlottenburg, HRB 42",
        )
        OldTenant.objects.create(
            slug="odd", name="Odd", country="FR", address="Somewhere", registration_number="n/a"
        )

        executor = MigrationExecutor(connection)
        executor.migrate(after)
        Tenant = executor.loader.project_state(after).apps.get_model("core", "Tenant")
        old = Tenant.objects.get(slug="old")
        assert (old.address_line_1, old.address_line_2, old.postal_code, old.city) == (
            "Hauptstraße 1",
            "Hinterhaus",
            "10115",
            "Berlin",
        )
        assert (old.register_court, old.register_number, old.registration_number) == (
            "Amtsgericht Berlin-Charlottenburg",
            "HRB 42",
            "",
        )
        odd = Tenant.objects.get(slug="odd")
        assert (odd.address_line_1, odd.registration_number) == ("Somewhere", "n/a")

        executor = MigrationExecutor(connection)
        executor.migrate(before)
        Reverted = executor.loader.project_state(before).apps.get_model("core", "Tenant")
        reverted = Reverted.objects.get(slug="old")
        assert reverted.address == "Hauptstraße 1\nHinterhaus\n10115 Berlin"
        assert reverted.registration_number == "Amtsgericht Berlin-Charlottenburg, HRB 42"
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
