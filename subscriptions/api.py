"""The usage REST API (/api/v1/, routed by portal/api_urls.py): a helpdesk reports requests,
checks whether a customer may open one, reads balances, access and departments.

Refusals: no access to a department that needs a package is 403 (`no_access`); no package,
not enough credits or a lapsed subscription package is 402 (`no_package`, `no_credits`,
`package_expired`). Another business's customer or department is 404."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.models import Customer
from core.api import ApiView, BoundedDateTimeField, Problem, TranslatedTextField
from core.models import ApiScope, Tenant
from subscriptions.models import Department, RequestKind, UsageRecord
from subscriptions.selectors import (
    credit_account_view,
    customer_by_ref,
    department_access_list,
    department_list,
)
from subscriptions.usage import (
    UsageConflict,
    UsageReason,
    UsageRefused,
    UsageVerdict,
    usage_check,
    usage_report,
)

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


def _problems(*statuses: int) -> dict:
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


class UsageCheckQuerySerializer(CustomerRefSerializer):
    department = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    kind = serializers.ChoiceField(choices=RequestKind.choices, default=RequestKind.TICKET)


class UsageReportSerializer(UsageCheckQuerySerializer):
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    external_id = serializers.CharField(max_length=200)
    occurred_at = BoundedDateTimeField()


class UsageRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    customer_id = serializers.IntegerField()
    customer_number = serializers.CharField(source="customer.number")
    department = serializers.IntegerField(source="department_id")
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    occurred_at = serializers.DateTimeField()
    credits_charged = serializers.IntegerField(source="credits")
    reported_at = serializers.DateTimeField(source="created_at")
    balance_after = serializers.SerializerMethodField()

    def get_balance_after(self, record: UsageRecord) -> int:
        return self.context["balance"]


class UsageCheckSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=[
            UsageReason.NO_ACCESS,
            UsageReason.NO_PACKAGE,
            UsageReason.NO_CREDITS,
            UsageReason.PACKAGE_EXPIRED,
        ],
        allow_null=True,
    )
    detail = serializers.CharField(source="reason_text", allow_blank=True)
    credits = serializers.IntegerField(help_text="What one request costs now.")
    balance = serializers.IntegerField()


class DepartmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="In the business's language.")
    names = TranslatedTextField(
        "name", help_text="In each language, as a customer reading in it sees it."
    )
    credits_per_request = serializers.IntegerField()
    counts_tickets = serializers.BooleanField()
    counts_conversations = serializers.BooleanField()
    counts_live_chats = serializers.BooleanField()
    needs_package = serializers.BooleanField()


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


def _customer(tenant: Tenant, data: dict) -> Customer:
    customer = customer_by_ref(
        tenant=tenant,
        customer_id=data.get("customer_id"),
        customer_number=data.get("customer_number"),
    )
    if customer is None:
        raise Http404
    return customer


def _department(tenant: Tenant, department_id: int) -> Department:
    department = Department.objects.filter(tenant=tenant, pk=department_id).first()
    if department is None:
        raise Http404
    return department


def _refusal(verdict: UsageVerdict) -> Problem:
    if verdict.reason == UsageReason.NO_ACCESS:
        return Problem(
            status_code=403,
            code=verdict.reason,
            title=_("No access to this department"),
            detail=verdict.reason_text,
            balance=verdict.balance,
        )
    return Problem(
        status_code=402,
        code=verdict.reason,
        title=_("Payment required"),
        detail=verdict.reason_text,
        credits_needed=verdict.credits,
        balance=verdict.balance,
    )


class UsageView(ApiView):
    """Report one request."""

    required_scope = ApiScope.USAGE_WRITE

    @extend_schema(
        operation_id="usage_report",
        summary="Report a ticket, conversation or live chat",
        description=(
            "Charged once per external id: the same report again answers 200 with the same "
            "record and charges nothing; the external id reported for another customer, "
            "department or kind is 409. Without credits 402, without access 403: nothing is "
            "charged."
        ),
        request=UsageReportSerializer,
        responses={
            201: UsageRecordSerializer,
            200: UsageRecordSerializer,
            **_problems(400, 402, 403, 409),
        },
    )
    def post(self, request: Request) -> Response:
        data = _valid(UsageReportSerializer, request.data)
        tenant = request.tenant
        customer = _customer(tenant, data)
        department = _department(tenant, data["department"])
        try:
            report = usage_report(
                customer=customer,
                department=department,
                kind=data["kind"],
                external_id=data["external_id"],
                occurred_at=data["occurred_at"],
                today=timezone.localdate(),
                api_key=request.auth,
            )
        except UsageRefused as refused:
            raise _refusal(refused.verdict) from refused
        except UsageConflict as conflict:
            raise Problem(
                status_code=409,
                code="conflict",
                title=_("External id already reported"),
                detail=_("This external id was reported for another customer, department or kind."),
                external_id=conflict.record.external_id,
            ) from conflict
        body = UsageRecordSerializer(report.record, context={"balance": report.balance}).data
        return Response(body, status=201 if report.created else 200)


class UsageCheckView(ApiView):
    """Whether a request may be opened now, what it would cost, and the reason when not."""

    required_scope = ApiScope.CUSTOMERS_READ

    @extend_schema(
        operation_id="usage_check",
        summary="May the customer open a request in the department now?",
        parameters=[UsageCheckQuerySerializer],
        responses={200: UsageCheckSerializer, **_problems(400, 403)},
    )
    def get(self, request: Request) -> Response:
        data = _valid(UsageCheckQuerySerializer, request.query_params)
        tenant = request.tenant
        customer = _customer(tenant, data)
        department = _department(tenant, data["department"])
        verdict = usage_check(
            customer=customer, department=department, kind=data["kind"], today=timezone.localdate()
        )
        return Response(UsageCheckSerializer(verdict).data)


class DepartmentListView(ApiView):
    """Every department: its credits per request, the kinds that count, whether it needs a
    package."""

    required_scope = ApiScope.DEPARTMENTS_READ

    @extend_schema(
        operation_id="departments_list",
        summary="The business's departments",
        responses={200: DepartmentSerializer(many=True), **_problems(403)},
    )
    def get(self, request: Request) -> Response:
        departments = department_list(tenant=request.tenant)
        return Response(DepartmentSerializer(departments, many=True).data)


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
        responses={200: CustomerBalanceSerializer, **_problems(400, 403)},
    )
    def get(self, request: Request, customer_id: int) -> Response:
        data = _valid(CustomerRefSerializer, {"customer_id": customer_id})
        return Response(_balance(_customer(request.tenant, data)))


class CustomerByNumberView(ApiView):
    """The same as by id, found by the customer number."""

    required_scope = ApiScope.CUSTOMERS_READ

    @extend_schema(
        operation_id="customer_balance_by_number",
        summary="A customer's balance, package and department access, by customer number",
        parameters=[OpenApiParameter("customer_number", str, OpenApiParameter.PATH)],
        responses={200: CustomerBalanceSerializer, **_problems(400, 403)},
    )
    def get(self, request: Request, customer_number: str) -> Response:
        data = _valid(CustomerRefSerializer, {"customer_number": customer_number})
        return Response(_balance(_customer(request.tenant, data)))


def _valid(serializer_class: type[serializers.Serializer], data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
