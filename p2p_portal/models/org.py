"""The organisation: facilities (hospitals, clinics, warehouses), their cost centers, and who holds which role where."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import RegexValidator
from django.db import models

from p2p_portal.audit.history import audited_history
from p2p_portal.roles import Role, facility_permission_codename
from p2p_portal.validators import validate_gln

code_validator = RegexValidator(r"^[A-Z0-9][A-Z0-9_-]{0,19}$", "Use capitals, digits, - and _ (at most 20).")


class Facility(models.Model):
    """A hospital, clinic or warehouse of the network; the unit of data scoping."""

    code = models.CharField(max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    gln = models.CharField("GLN", max_length=13, unique=True, null=True, blank=True, validators=[validate_gln])
    active = models.BooleanField(default=True)
    history = audited_history()
    audit_facility_field = "self"  # the audit trail scopes this model's history by the facility itself

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "facilities"
        permissions = [
            *[(facility_permission_codename(role), f"Acts as {role.label} at this facility") for role in Role],
            ("view_audit_trail", "Can read the audit trail"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class CostCenter(models.Model):
    """A budget owner inside a facility; PO lines and invoice lines are charged to one."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="cost_centers")
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = audited_history()
    audit_facility_field = "facility"

    class Meta:
        ordering = ["facility__code", "code"]
        constraints = [models.UniqueConstraint(fields=["facility", "code"], name="costcenter_unique_code_per_facility")]

    def __str__(self) -> str:
        return f"{self.facility.code}/{self.code} · {self.name}"


class RoleAssignment(models.Model):
    """That a user holds a role at a facility: the record people read; guardian permissions are derived from it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField(max_length=30, choices=Role.choices)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="role_assignments")
    granted_at = models.DateTimeField(auto_now_add=True)
    history = audited_history()
    audit_facility_field = "facility"

    class Meta:
        ordering = ["user__username", "facility__code", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "facility"], name="roleassignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()} at {self.facility.code}"

    @property
    def group(self) -> Group:
        return Group.objects.get(name=self.role)
