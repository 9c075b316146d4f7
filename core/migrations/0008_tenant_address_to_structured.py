"""Moves each business's free-text address and registration number into the structured fields,
then drops the free-text address. Nothing is lost: what the parser does not recognise stays where
a person will see it (the street lines, the "other registration" field).

The parsing functions live here, frozen with the migration (tests import them from this module):
later changes to the models' rules must not change what this step did."""

from __future__ import annotations

import re

from django.db import migrations
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

# A last line "10115 Berlin", "D-10115 Berlin", "75002 Paris", "8001 Zürich", "1012 AB Amsterdam",
# "00184 Roma RM", "34394 İstanbul": postcode first, then the city.
_POSTCODE_CITY = re.compile(
    r"^(?:[A-Z]{1,2}[-‐ ])?(?P<postcode>\d{4,5}(?: ?[A-Z]{2}(?=\s))?)[\s,]+(?P<city>\S.*)$"
)


def split_postal_address(text: str) -> dict[str, str]:
    """The free-text address as street lines, postcode and city. The first line is street line 1;
    every further line but a parsable last one is joined into street line 2; a last line that
    does not read as "postcode city" stays in the street lines too."""
    lines = [line.strip(" ,") for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) == 1 and "," in lines[0]:  # "Hauptstraße 1, 10115 Berlin"
        lines = [part.strip() for part in lines[0].split(",") if part.strip()]
    postcode = city = ""
    if len(lines) >= 2:
        match = _POSTCODE_CITY.match(lines[-1])
        if match:
            postcode, city = match["postcode"], match["city"].strip()
            lines = lines[:-1]
    street_1 = lines[0] if lines else ""
    # Never cut: a text too long for the column fails the migration loudly instead.
    street_2 = ", ".join(lines[1:])
    return {
        "address_line_1": street_1,
        "address_line_2": street_2,
        "postal_code": postcode,
        "city": city,
    }


_HANDELSREGISTER = re.compile(r"^(?:(?P<court>(?:Amtsgericht|AG)\s+[^,;]+?)\s*[,;]?\s*)?"
                              r"(?P<number>HR[AB]\s*\d+(?:\s*[A-Z]{1,2})?)$", re.IGNORECASE)
_RCS = re.compile(r"^RCS\s+(?P<city>[^\d]+?)\s+(?:[AB]\s+)?(?P<siren>[\d ]{9,11})$", re.IGNORECASE)
_SIREN_SIRET = re.compile(r"^(?:SIREN|SIRET|SIREN/SIRET)?\s*:?\s*(?P<digits>[\d ]{9,17})$",
                          re.IGNORECASE)
_REA = re.compile(r"^(?:R\.?E\.?A\.?|N\.? REA)\s*:?\s*(?P<number>[A-Z]{2}\s*[- ]\s*\d+)$",
                  re.IGNORECASE)


def split_registration(value: str, country: str) -> dict[str, str]:
    """Which structured field a free-text registration belongs in, by the business's country
    and the text's shape; {"registration_number": value} when it is not recognised."""
    text = " ".join((value or "").split())
    country = (country or "").upper()
    if not text:
        return {}
    if country in ("DE", "AT", ""):
        match = _HANDELSREGISTER.match(text)
        if match:
            moved = {"register_number": " ".join(match["number"].upper().split())}
            if match["court"]:
                moved["register_court"] = match["court"].strip()
            return moved
    if country in ("FR", ""):
        match = _RCS.match(text)
        if match and stdnum_siren.is_valid(match["siren"].replace(" ", "")):
            return {"rcs_city": match["city"].strip(), "siren": match["siren"].replace(" ", "")}
        match = _SIREN_SIRET.match(text)
        if match:
            digits = match["digits"].replace(" ", "")
            if stdnum_siret.is_valid(digits):
                return {"siret": digits, "siren": digits[:9]}
            if stdnum_siren.is_valid(digits):
                return {"siren": digits}
    if country in ("IT", ""):
        match = _REA.match(text)
        if match:
            return {"rea_number": re.sub(r"\s*[- ]\s*", "-", match["number"].upper(), count=1)}
    return {"registration_number": value}


def structure_tenants(apps, schema_editor) -> None:
    Tenant = apps.get_model("core", "Tenant")
    for tenant in Tenant.objects.all().iterator():
        fields = split_postal_address(tenant.address)
        registration = split_registration(tenant.registration_number, tenant.country)
        if registration:
            fields["registration_number"] = ""
            fields.update(registration)
        for name, value in fields.items():
            setattr(tenant, name, value)
        tenant.save(update_fields=list(fields))


def unstructure_tenants(apps, schema_editor) -> None:
    """Back to one text: the structured lines as the address, registrations as one line."""
    Tenant = apps.get_model("core", "Tenant")
    for tenant in Tenant.objects.all().iterator():
        city = " ".join(p for p in (tenant.postal_code, tenant.city) if p)
        tenant.address = "\n".join(
            line for line in (tenant.address_line_1, tenant.address_line_2, city) if line
        )
        if not tenant.registration_number:
            court = ", ".join(p for p in (tenant.register_court, tenant.register_number) if p)
            rcs = f"RCS {tenant.rcs_city} {tenant.siren}" if tenant.rcs_city else tenant.siret
            tenant.registration_number = court or rcs or tenant.siren or tenant.rea_number
        tenant.save(update_fields=["address", "registration_number"])


class Migration(migrations.Migration):
    dependencies = [("core", "0007_tenant_structured_identity")]

    operations = [
        migrations.RunPython(structure_tenants, unstructure_tenants),
        migrations.RemoveField(model_name="tenant", name="address"),
    ]
