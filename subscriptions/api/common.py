"""What the API's resources share: problem details (RFC 9457) in the schema, a customer by id or
by number, validating input."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts.models import Customer
from core.models import Tenant
from subscriptions.selectors import customer_by_ref

ID_MAX = 2**63 - 1  # the largest primary key a row can have
PROBLEM = "application/problem+json"


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(required=False)
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


def problems(*statuses: int) -> dict:
    return {(status, PROBLEM): ProblemSerializer for status in (401, 404, 429, *statuses)}


class CustomerRefSerializer(serializers.Serializer):
    """A customer by id or by customer number: exactly one of the two."""

    customer_id = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    customer_number = serializers.CharField(required=False, max_length=64)

    def validate(self, data: dict) -> dict:
        if ("customer_id" in data) == ("customer_number" in data):
            raise serializers.ValidationError(
                {"customer_id": [_("Give customer_id or customer_number, not both.")]}
                if data
                else {"customer_id": [_("Give customer_id or customer_number.")]}
            )
        return data


def customer_of(tenant: Tenant, data: dict) -> Customer:
    customer = customer_by_ref(
        tenant=tenant,
        customer_id=data.get("customer_id"),
        customer_number=data.get("customer_number"),
    )
    if customer is None:
        raise Http404
    return customer


def valid_data(serializer_class: type[serializers.Serializer], data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
