"""The business's departments."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ApiView, TranslatedTextField
from core.models import ApiScope
from subscriptions.api.common import problems
from subscriptions.selectors import department_list


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


class DepartmentListView(ApiView):
    """Every department: its credits per request, the kinds that count, whether it needs a
    package."""

    required_scope = ApiScope.DEPARTMENTS_READ

    @extend_schema(
        operation_id="departments_list",
        summary="The business's departments",
        responses={200: DepartmentSerializer(many=True), **problems(403)},
    )
    def get(self, request: Request) -> Response:
        departments = department_list(tenant=request.tenant)
        return Response(DepartmentSerializer(departments, many=True).data)
