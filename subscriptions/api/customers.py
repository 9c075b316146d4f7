"""A customer's balance, package and department access, by id or by customer number."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.models import Customer
from core.api import ApiView
from core.models import ApiScope
from subscriptions.api.common import CustomerRefSerializer, customer_of, problems, valid_data
from subscriptions.api.departments import DepartmentSerializer
from subscriptions.selectors import credit_account_view, department_access_list


class DepartmentAccessSerializer(serializers.Serializer):
    department = DepartmentSerializer()
    allowed = serializers.BooleanField()


class CustomerBalanceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField()
    package_kind = serializers.CharField(allow_blank=True)
    balance = serializers.IntegerField()
    valid_until = serializers.DateField(allow_null=True)
    departments = DepartmentAccessSerializer(many=True)


def _balance(customer: Customer) -> dict:
    account = credit_account_view(customer=customer)  # an empty one when there is none
    return CustomerBalanceSerializer(
        {
            "id": customer.pk,
            "number": customer.number,
            "name": customer.name,
            "package_kind": account.kind,
            "balance": account.balance,
            "valid_until": account.valid_until,
            "departments": [
                {"department": row.department, "allowed": row.has_access}
                for row in department_access_list(tenant=customer.tenant, customer=customer)
            ],
        }
    ).data


class CustomerBalanceView(ApiView):
    """The package kind, credit balance, validity and, per department, whether the customer
    may open requests there."""

    required_scope = ApiScope.CUSTOMERS_READ

    @extend_schema(
        operation_id="customer_balance",
        summary="A customer's balance, package and department access, by Kontor's id",
        parameters=[OpenApiParameter("customer_id", int, OpenApiParameter.PATH)],
        responses={200: CustomerBalanceSerializer, **problems(400, 403)},
    )
    def get(self, request: Request, customer_id: int) -> Response:
        data = valid_data(CustomerRefSerializer, {"customer_id": customer_id})
        return Response(_balance(customer_of(request.tenant, data)))


class CustomerByNumberView(ApiView):
    """The same as by id, found by the customer number."""

    required_scope = ApiScope.CUSTOMERS_READ

    @extend_schema(
        operation_id="customer_balance_by_number",
        summary="A customer's balance, package and department access, by customer number",
        parameters=[OpenApiParameter("customer_number", str, OpenApiParameter.PATH)],
        responses={200: CustomerBalanceSerializer, **problems(400, 403)},
    )
    def get(self, request: Request, customer_number: str) -> Response:
        data = valid_data(CustomerRefSerializer, {"customer_number": customer_number})
        return Response(_balance(customer_of(request.tenant, data)))
