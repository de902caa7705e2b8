"""Serializers of the platform's API resources."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from p2p_portal.models import ApiClient, CostCenter, Facility


class FacilitySerializer(serializers.ModelSerializer):
    """A facility as API clients see it."""

    class Meta:
        model = Facility
        fields = ["code", "name", "gln", "active"]


class CostCenterSerializer(serializers.ModelSerializer):
    """A cost center, named by its facility's code."""

    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CostCenter
        fields = ["id", "facility", "code", "name", "owner"]


class CostCenterCreateSerializer(serializers.Serializer):
    """Input of POST /cost-centers/: the facility by its code."""

    facility = serializers.SlugRelatedField(slug_field="code", queryset=Facility.objects.all())
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)


class PrincipalSerializer(serializers.Serializer):
    """Who the caller is: a user with roles per facility, or an API client with scopes and facilities."""

    kind = serializers.CharField()
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    facilities = serializers.ListField(child=serializers.DictField())

    @staticmethod
    def describe(principal: Any) -> dict[str, Any]:
        if isinstance(principal, ApiClient):
            return {
                "kind": "api_client",
                "name": principal.name,
                "scopes": sorted(principal.scopes),
                "facilities": [{"code": f.code, "roles": []} for f in principal.facilities.order_by("code")],
            }
        roles: dict[str, list[str]] = {}
        for assignment in principal.role_assignments.select_related("facility").order_by("facility__code", "role"):
            roles.setdefault(assignment.facility.code, []).append(assignment.role)
        return {
            "kind": "user",
            "name": principal.get_username(),
            "scopes": [],
            "facilities": [{"code": code, "roles": codes} for code, codes in roles.items()],
        }


class FieldChangeSerializer(serializers.Serializer):
    """One changed field."""

    field = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()


class AuditEntrySerializer(serializers.Serializer):
    """One audit entry: who did what to which record, when and why."""

    history_id = serializers.IntegerField()
    when = serializers.DateTimeField()
    action = serializers.CharField()
    actor = serializers.CharField()
    actor_kind = serializers.CharField()
    record_type = serializers.CharField(source="model_label")
    record_id = serializers.CharField(source="object_id")
    record = serializers.CharField(source="object_repr")
    facility = serializers.CharField()
    changes = FieldChangeSerializer(many=True)
    reason = serializers.CharField()
    request_id = serializers.CharField()


class AuditQuerySerializer(serializers.Serializer):
    """Query parameters of the audit entry list (all optional)."""

    record_type = serializers.CharField(required=False, allow_blank=True)
    record_id = serializers.CharField(required=False, allow_blank=True)
    actor = serializers.CharField(required=False, allow_blank=True)
    facility = serializers.CharField(required=False, allow_blank=True)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    page = serializers.IntegerField(required=False, min_value=1, default=1)
