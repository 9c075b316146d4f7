"""The API's reads as selectors: customers by id or number within the business only, and the
departments in name order."""

import pytest

from subscriptions.models import Department
from subscriptions.selectors import customer_by_ref, department_list

pytestmark = pytest.mark.django_db


def test_a_customer_is_found_by_id_or_number_within_its_business_only(world):
    alpha = world.alpha
    assert customer_by_ref(tenant=world.acme, customer_id=alpha.pk) == alpha
    assert customer_by_ref(tenant=world.acme, customer_number=alpha.number) == alpha
    assert customer_by_ref(tenant=world.globex, customer_id=alpha.pk) is None
    assert customer_by_ref(tenant=world.globex, customer_number=alpha.number) is None


def test_the_departments_list_is_the_businesss_own_in_name_order(world):
    for name in ("Zeta", "Alpha"):
        Department.objects.create(tenant=world.acme, name=name)
    Department.objects.create(tenant=world.globex, name="Elsewhere")
    assert [d.name for d in department_list(tenant=world.acme)] == ["Alpha", "Zeta"]
