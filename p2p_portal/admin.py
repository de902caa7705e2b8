"""Admin of the platform: every save goes through the services, so it is validated and attributed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from p2p_portal import services
from p2p_portal.models import ApiClient, ApiToken, CostCenter, Facility, RoleAssignment, TaskHeartbeat
from p2p_portal.roles import Scope

# ModelAdmin is generic only in the type stubs (django-stubs-ext is not a runtime dependency).
if TYPE_CHECKING:
    HeartbeatAdminBase = admin.ModelAdmin[TaskHeartbeat]
    ReadOnlyTokenAdminBase = admin.ModelAdmin[ApiToken]
else:
    HeartbeatAdminBase = admin.ModelAdmin
    ReadOnlyTokenAdminBase = admin.ModelAdmin


@admin.register(TaskHeartbeat)
class TaskHeartbeatAdmin(HeartbeatAdminBase):
    """Read-only: heartbeats are written by the periodic task, never by hand."""

    list_display = ("name", "hostname", "last_seen_at")
    readonly_fields = ("name", "hostname", "last_seen_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TaskHeartbeat | None = None) -> bool:
        return False


class NoDeleteMixin:
    """Records that other records and the audit trail point to are deactivated, never deleted."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Facility)
class FacilityAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    """Facilities; the History button shows every change with who and why."""

    list_display = ("code", "name", "gln", "active")
    list_filter = ("active",)
    search_fields = ("code", "name", "gln")

    def get_readonly_fields(self, request: HttpRequest, obj: Facility | None = None) -> tuple[str, ...]:
        return ("code",) if obj else ()

    def save_model(self, request: HttpRequest, obj: Facility, form: Any, change: bool) -> None:
        if change:
            fields = {name: form.cleaned_data[name] for name in form.changed_data if name in {"name", "gln", "active"}}
            services.facility_update(actor=request.user, facility=obj, reason="changed in the admin", **fields)
        else:
            created = services.facility_create(
                actor=request.user, code=obj.code, name=obj.name, gln=obj.gln, active=obj.active
            )
            obj.pk = created.pk


@admin.register(CostCenter)
class CostCenterAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    """Cost centers of each facility."""

    list_display = ("facility", "code", "name", "owner")
    list_filter = ("facility",)
    search_fields = ("code", "name")
    autocomplete_fields = ("owner",)

    def get_readonly_fields(self, request: HttpRequest, obj: CostCenter | None = None) -> tuple[str, ...]:
        return ("facility", "code") if obj else ()

    def save_model(self, request: HttpRequest, obj: CostCenter, form: Any, change: bool) -> None:
        if change:
            fields = {name: form.cleaned_data[name] for name in form.changed_data if name in {"name", "owner"}}
            services.cost_center_update(actor=request.user, cost_center=obj, reason="changed in the admin", **fields)
        else:
            created = services.cost_center_create(
                actor=request.user, facility=obj.facility, code=obj.code, name=obj.name, owner=obj.owner
            )
            obj.pk = created.pk


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(SimpleHistoryAdmin):
    """Who holds which role where; adding grants the role, deleting revokes it."""

    list_display = ("user", "role", "facility", "granted_at")
    list_filter = ("role", "facility")
    search_fields = ("user__username", "user__last_name")
    autocomplete_fields = ("user",)

    def has_change_permission(self, request: HttpRequest, obj: RoleAssignment | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: RoleAssignment, form: Any, change: bool) -> None:
        assignment = services.role_grant(actor=request.user, user=obj.user, role=obj.role, facility=obj.facility)
        obj.pk = assignment.pk

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        services.role_revoke(
            actor=request.user, user=obj.user, role=obj.role, facility=obj.facility, reason="revoked in the admin"
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleAssignment]) -> None:
        for assignment in queryset:
            self.delete_model(request, assignment)


class ApiTokenInline(admin.TabularInline):  # type: ignore[type-arg]
    """The client's tokens: prefix and state only (secrets are never stored)."""

    model = ApiToken
    fields = ("prefix", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ApiClientForm(forms.ModelForm):  # type: ignore[type-arg]
    """Scopes as checkboxes, not raw JSON."""

    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiClient
        fields = ["name", "description", "facilities", "scopes", "is_active"]


@admin.register(ApiClient)
class ApiClientAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    """API clients; the token is shown once when the client is created or its token rotated."""

    form = ApiClientForm
    list_display = ("name", "scopes", "is_active", "created_at", "created_by")
    list_filter = ("is_active",)
    search_fields = ("name",)
    filter_horizontal = ("facilities",)
    actions = ["rotate_token", "revoke_all_tokens"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiClient | None = None) -> tuple[str, ...]:
        return ("name",) if obj else ()

    def get_inlines(self, request: HttpRequest, obj: ApiClient | None) -> list[Any]:
        return [ApiTokenInline] if obj else []  # a new client has no tokens until it is saved

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            services.api_client_update(
                actor=request.user,
                client=obj,
                description=form.cleaned_data["description"],
                scopes=form.cleaned_data["scopes"],
                facilities=list(form.cleaned_data["facilities"]),
                is_active=form.cleaned_data["is_active"],
            )
            return
        client, issued = services.api_client_create(
            actor=request.user,
            name=obj.name,
            description=obj.description,
            facilities=list(form.cleaned_data["facilities"]),
            scopes=obj.scopes,
        )
        obj.pk = client.pk
        setattr(request, "_p2p_issued_token", issued)  # noqa: B010  (shown once by response_add)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Facilities were saved by the service; the token inline is read-only."""

    def response_add(self, request: HttpRequest, obj: ApiClient, post_url_continue: str | None = None) -> HttpResponse:
        issued = getattr(request, "_p2p_issued_token", None)
        if issued is None:
            response: HttpResponse = super().response_add(request, obj, post_url_continue)
            return response
        return _show_token_once(request, obj, issued.secret, issued.token.expires_at)

    @admin.action(description="Rotate token (old tokens keep working for the overlap window)")
    def rotate_token(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Rotate one client at a time, so each new token can be shown.", messages.ERROR)
            return None
        client = queryset.get()
        issued = services.api_token_rotate(actor=request.user, client=client)
        return _show_token_once(request, client, issued.secret, issued.token.expires_at)

    @admin.action(description="Revoke all tokens now (suspected leak)")
    def revoke_all_tokens(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            count = services.api_client_revoke_all(actor=request.user, client=client, reason="revoked in the admin")
            self.message_user(request, f"{client.name}: {count} token(s) revoked.", messages.WARNING)


def _show_token_once(request: HttpRequest, client: ApiClient, secret: str, expires_at: Any) -> HttpResponse:
    """Render the secret in this response only: it is not stored anywhere, not even in a flash message."""
    context = {
        **admin.site.each_context(request),
        "client": client,
        "secret": secret,
        "expires_at": expires_at,
        "title": "New API token",
    }
    response = TemplateResponse(request, "admin/p2p_portal/token_issued.html", context)
    response["Cache-Control"] = "no-store"
    return response


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    """Users: deactivating one goes through the service, which also ends their sessions at once.

    Users are never deleted: the audit trail points to them (deactivate instead).
    """

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.user_deactivate(actor=request.user, user=obj, reason="deactivated in the admin")
            return
        super().save_model(request, obj, form, change)
