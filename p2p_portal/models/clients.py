"""API clients (procurement suites, e-invoicing networks, OCR services) and their bearer tokens."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from p2p_portal.audit.history import audited_history
from p2p_portal.models.org import Facility
from p2p_portal.roles import Scope


def validate_scopes(value: object) -> None:
    """Scopes are a list of known scope names."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Scopes are a list of names.")
    unknown = sorted(set(value) - set(Scope.values))
    if unknown:
        raise ValidationError(f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(Scope.values)}.")


class ApiClient(models.Model):
    """A system that calls the API: not a user; it acts only with its scopes and only at its facilities."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    facilities = models.ManyToManyField(Facility, related_name="api_clients")
    scopes = models.JSONField(default=list, validators=[validate_scopes])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = audited_history()

    # An API client is a principal of the API (request.user there), never a user of the browser UI.
    is_authenticated = True
    is_anonymous = False

    class Meta:
        ordering = ["name"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ApiToken(models.Model):
    """A bearer token of a client: only a SHA-256 digest is stored; the secret is shown once, at creation."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="tokens")
    prefix = models.CharField(max_length=16, unique=True, help_text="Public part of the token, to tell tokens apart.")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # last_used_at changes on use; recording each use as a history row would drown the trail.
    history = audited_history(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.client.name} token {self.prefix}…"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now() and self.client.is_active

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"
