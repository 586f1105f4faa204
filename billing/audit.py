"""The audit log: job events (GenerationEvent) and our own entries for everything else,
read together, newest first."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db.models import Q

from generations.models import EventKind, GenerationEvent

from .models import AuditEntry

# The job events a person caused, and what the log calls each (the gallery's trash events
# are listed by their value, so this module does not depend on them existing yet).
JOB_ACTIONS = {
    EventKind.CREATED: "generated",
    EventKind.SENT_AGAIN: "retried",
    EventKind.CHECKED_AGAIN: "checked again",
    EventKind.DELETED: "deleted",
    "cancelled": "cancelled",
    "stopped": "stopped",
    "trashed": "moved to the trash",
    "restored": "restored",
    "purged": "purged",
    "shared": "shared",
}
OWN_ACTIONS = {
    "downloaded": "downloaded",
    "price_changed": "changed a price",
    "settings_changed": "changed billing settings",
    "cap_changed": "changed a cap",
    "role_changed": "changed a role",
    "added_teammate": "added a teammate",
    "deactivated": "deactivated",
    "reactivated": "reactivated",
    "resolved": "resolved a reservation",
    "rendered_unreserved": "made without a reservation",
    "login_failed": "failed login",
    "locked_out": "locked out",
}
ACTION_CHOICES = sorted({*JOB_ACTIONS.values(), *OWN_ACTIONS.values()})


@dataclass
class Line:
    at: datetime
    who: str
    action: str
    subject: str
    detail: str
    amount: Decimal | None
    generation_ref: str


def record(action: str, *, actor=None, subject=None, detail="", generation_ref=None, amount=None):
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        subject=subject,
        action=action,
        detail=detail[:500],
        generation_ref=generation_ref,
        amount=amount,
    )


def lines(*, person=None, action: str = "", since=None, until=None, limit: int = 500):
    """Audit lines filtered by who did it (or whom it was about), what, and when."""
    events = GenerationEvent.objects.filter(kind__in=list(JOB_ACTIONS)).select_related("actor")
    own = AuditEntry.objects.select_related("actor", "subject")
    if person is not None:
        events = events.filter(Q(actor=person) | Q(owner=person))
        own = own.filter(Q(actor=person) | Q(subject=person))
    if action:
        events = events.filter(kind__in=[k for k, v in JOB_ACTIONS.items() if v == action])
        own = own.filter(action__in=[k for k, v in OWN_ACTIONS.items() if v == action])
    if since:
        events, own = events.filter(created_at__gte=since), own.filter(created_at__gte=since)
    if until:
        events, own = events.filter(created_at__lt=until), own.filter(created_at__lt=until)
    found = [
        Line(
            at=e.created_at,
            who=e.actor.get_username() if e.actor else "the worker",
            action=JOB_ACTIONS[e.kind],
            subject="",
            detail=e.reason,
            amount=e.amount,
            generation_ref=str(e.generation_ref),
        )
        for e in events.order_by("-created_at")[:limit]
    ]
    found += [
        Line(
            at=a.created_at,
            who=a.actor.get_username() if a.actor else (a.username or "someone"),
            action=OWN_ACTIONS.get(a.action, a.action),
            subject=a.subject.get_username() if a.subject else "",
            detail=a.detail,
            amount=a.amount,
            generation_ref=str(a.generation_ref or ""),
        )
        for a in own.order_by("-created_at")[:limit]
    ]
    found.sort(key=lambda line: line.at, reverse=True)
    return found[:limit]


def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "")[:150]
    subject = get_user_model().objects.filter(username=username).first()
    AuditEntry.objects.create(action="login_failed", username=username, subject=subject)


def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    username = str(username or "")[:150]
    subject = get_user_model().objects.filter(username=username).first()
    AuditEntry.objects.create(
        action="locked_out", username=username, subject=subject, detail=f"from {ip_address}"
    )


def connect_signals() -> None:
    from axes.signals import user_locked_out

    user_login_failed.connect(_login_failed, dispatch_uid="billing.audit.login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="billing.audit.locked_out")
