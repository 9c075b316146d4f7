"""Usage: report a request, and check whether one may be opened now.

Refusals: no access to a department that needs a package is 403 (`no_access`); no package,
not enough credits or a lapsed subscription package is 402 (`no_package`, `no_credits`,
`package_expired`)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ApiView, BoundedDateTimeField, Problem
from core.models import ApiScope, Tenant
from subscriptions.api.common import (
    ID_MAX,
    CustomerRefSerializer,
    customer_of,
    problems,
    valid_data,
)
from subscriptions.models import Department, RequestKind, UsageRecord
from subscriptions.usage import (
    UsageConflict,
    UsageReason,
    UsageRefused,
    UsageVerdict,
    usage_check,
    usage_report,
)


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


def _department(tenant: Tenant, department_id: int) -> Department:
    return get_object_or_404(Department, tenant=tenant, pk=department_id)


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
            **problems(400, 402, 403, 409),
        },
    )
    def post(self, request: Request) -> Response:
        data = valid_data(UsageReportSerializer, request.data)
        tenant = request.tenant
        customer = customer_of(tenant, data)
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
        responses={200: UsageCheckSerializer, **problems(400, 403)},
    )
    def get(self, request: Request) -> Response:
        data = valid_data(UsageCheckQuerySerializer, request.query_params)
        tenant = request.tenant
        customer = customer_of(tenant, data)
        department = _department(tenant, data["department"])
        verdict = usage_check(
            customer=customer, department=department, kind=data["kind"], today=timezone.localdate()
        )
        return Response(UsageCheckSerializer(verdict).data)
