"""The audit log, read: job events (GenerationEvent), the ledger's entries (what was held,
charged and released, an admin's verdict included) and the studio's own AuditEntry rows for
everything else, together, newest first. Every line about a video names it: by its prompt
while it exists, by the label kept when it was deleted (VideoLabel, written here as the row
goes), and always by its id. Entries are written with `AuditEntry.record` (billing.models),
which any layer may call; the lines are read only here."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db.models import Q
from django.db.models.signals import pre_delete

from billing.ledger import dollars
from billing.models import AuditEntry, EntryKind, LedgerEntry, VideoLabel, label_of
from generations.access import may_watch
from generations.links import job_url
from generations.models import EventKind, Generation, GenerationEvent

# The job events a person caused, and what the log calls each.
JOB_ACTIONS: dict[str, str] = {
    EventKind.CREATED: "generated",
    EventKind.SENT_AGAIN: "retried",
    EventKind.CHECKED_AGAIN: "checked again",
    EventKind.DELETED: "deleted",
    EventKind.CANCELLED: "cancelled",
    EventKind.STOPPED: "stopped",
    EventKind.TRASHED: "moved to the trash",
    EventKind.RESTORED: "restored",
    EventKind.PURGED: "purged",
    EventKind.SHARED: "shared",
    EventKind.UNSHARED: "unshared",
    EventKind.HANDED_OVER: "handed over",
    EventKind.RENAMED: "renamed",
    EventKind.REVIEWED: "set the review status",
}
OWN_ACTIONS = {
    "downloaded": "downloaded",
    "downloaded_zip": "downloaded a ZIP",
    "comment_deleted": "deleted a comment",
    "price_changed": "changed a price",
    "settings_changed": "changed billing settings",
    "cap_changed": "changed a cap",
    "role_changed": "changed a role",
    "budget_changed": "changed a project budget",
    "added_teammate": "added a teammate",
    "deactivated": "deactivated",
    "reactivated": "reactivated",
    "new_link": "made a set-password link",
    "reset_link_mailed": "mailed a set-password link",
    "password_changed": "changed their password",
    "handed_over": "handed over",
    "resolved": "resolved a reservation",
    "rendered_unreserved": "made without a reservation",
    "login_failed": "failed login",
    "locked_out": "locked out",
    # Review links (branch links): a guest has no account, `username` is the name they gave.
    "review_link_made": "made a review link",
    "review_link_revoked": "revoked a review link",
    "guest_commented": "commented through a review link",
    "guest_decided": "decided through a review link",
    "guest_downloaded": "downloaded through a review link",
    "guest_downloaded_zip": "downloaded a ZIP through a review link",
}
# Money lines are the ledger's own entries: one truth for what was held and charged. A
# person's verdict on a reservation is its closing entry, with that person as its actor.
MONEY_ACTIONS: dict[str, str] = {
    EntryKind.RESERVE: "reserved",
    EntryKind.SETTLE: "charged",
    EntryKind.RELEASE: "released",
}
RESOLVED = "resolved a reservation"
MONEY_REASONS = {
    EventKind.CREATED: "held until the video is made",
    EventKind.SENT_AGAIN: "held for Try again until the video is made",
    EventKind.RENDERED: "the video was made",
    "task_failed_charged": "the task failed, and CometAPI charges failed tasks",
    "task_failed": "the task failed; failed tasks are not charged",
    "not_created": "CometAPI refused it before starting",
    EventKind.CANCELLED: "cancelled before it was sent",
    "resolved_charged": "marked as charged by CometAPI",
    "resolved_not_charged": "marked as not charged by CometAPI",
}
ACTION_CHOICES = sorted({*JOB_ACTIONS.values(), *OWN_ACTIONS.values(), *MONEY_ACTIONS.values()})


@dataclass
class Video:
    id: str
    label: str = ""
    url: str = ""  # its page, while it exists and the reader of the log may watch it
    gone: bool = False


@dataclass
class Line:
    at: datetime
    who: str
    action: str
    subject: str
    detail: str
    amount: Decimal | None
    generation_ref: str
    videos: list[Video] = field(default_factory=list)

    @property
    def about(self) -> str:
        """The About column as plain text (for an export)."""
        parts = [self.subject] if self.subject else []
        for video in self.videos:
            gone = ", deleted" if video.gone else ""
            parts.append(f"“{video.label}” ({video.id}{gone})" if video.label else video.id)
        return "; ".join(parts)


def lines(
    *, person=None, action: str = "", since=None, until=None, limit: int = 500, viewer=None
) -> list[Line]:
    """Audit lines filtered by who did it (or whom it was about), what, and when; videos
    link to their pages for `viewer` where they may watch them."""
    events = GenerationEvent.objects.filter(kind__in=list(JOB_ACTIONS))
    # A verdict's own entry carries no job: its ledger entry (below) is the line for it.
    own = AuditEntry.objects.exclude(action="resolved")
    money = LedgerEntry.objects.all()
    if person is not None:
        events = events.filter(Q(actor=person) | Q(owner=person))
        own = own.filter(Q(actor=person) | Q(subject=person))
        money = money.filter(Q(actor=person) | Q(person=person))
    if action:
        events = events.filter(kind__in=[k for k, v in JOB_ACTIONS.items() if v == action])
        own = own.filter(action__in=[k for k, v in OWN_ACTIONS.items() if v == action])
        money = _money_of(money, action)
    if since:
        events, own = events.filter(created_at__gte=since), own.filter(created_at__gte=since)
        money = money.filter(created_at__gte=since)
    if until:
        events, own = events.filter(created_at__lt=until), own.filter(created_at__lt=until)
        money = money.filter(created_at__lt=until)
    newest = ("-created_at", "-pk")
    found = [
        _event_line(e) for e in events.select_related("actor", "owner").order_by(*newest)[:limit]
    ]
    found += [
        _own_line(a) for a in own.select_related("actor", "subject").order_by(*newest)[:limit]
    ]
    found += [
        _money_line(m) for m in money.select_related("actor", "person").order_by(*newest)[:limit]
    ]
    found.sort(key=lambda line: line.at, reverse=True)
    found = found[:limit]
    _name_videos(found, viewer)
    return found


def _money_of(money, action: str):
    resolved = Q(reason__startswith="resolved_")
    if action == RESOLVED:
        return money.filter(resolved)
    kinds = [k for k, v in MONEY_ACTIONS.items() if v == action]
    return money.filter(kind__in=kinds).exclude(resolved) if kinds else money.none()


def _name(user) -> str:
    return user.get_username() if user else ""


def _event_line(event: GenerationEvent) -> Line:
    # Whose video it was, when someone else (the worker, an admin) acted on it.
    owner = _name(event.owner) if event.actor_id != event.owner_id else ""
    ref = str(event.generation_ref)
    return Line(
        at=event.created_at,
        who=_name(event.actor) or _nobody(event),
        action=JOB_ACTIONS[event.kind],
        subject=owner,
        detail=event.reason,
        amount=None,  # money is on the ledger's lines, with what was really charged
        generation_ref=ref,
        videos=[Video(ref)],
    )


def _nobody(event: GenerationEvent) -> str:
    # A decision without an actor came through a review link: its reason names the guest.
    return "a guest" if event.kind == EventKind.REVIEWED else "the worker"


def _own_line(entry: AuditEntry) -> Line:
    videos = [Video(str(v["id"]), v.get("label", "")) for v in entry.videos or []]
    if entry.generation_ref:
        videos.insert(0, Video(str(entry.generation_ref), entry.video_label))
    return Line(
        at=entry.created_at,
        who=_name(entry.actor) or entry.username or "someone",
        action=OWN_ACTIONS.get(entry.action, entry.action),
        subject=_name(entry.subject),
        detail=entry.detail,
        amount=entry.amount,
        generation_ref=str(entry.generation_ref or ""),
        videos=videos,
    )


def _money_line(entry: LedgerEntry) -> Line:
    reason = MONEY_REASONS.get(entry.reason, entry.reason.replace("_", " "))
    if entry.kind == EntryKind.RESERVE:
        detail, amount = f"{dollars(entry.amount)} {reason}", entry.amount
    elif entry.kind == EntryKind.SETTLE:
        detail, amount = f"{dollars(entry.charged)} charged: {reason}", entry.charged
    else:
        # Nothing was spent: the line's amount is what was charged, $0.00, not what was held.
        detail = f"nothing charged, the {dollars(entry.amount)} held was released: {reason}"
        amount = entry.charged
    ref = str(entry.generation_ref)
    return Line(
        at=entry.created_at,
        who=_name(entry.actor) or "the system",
        action=RESOLVED if entry.reason.startswith("resolved_") else MONEY_ACTIONS[entry.kind],
        subject=_name(entry.person) if entry.actor_id != entry.person_id else "",
        detail=detail,
        amount=amount,
        generation_ref=ref,
        videos=[Video(ref)],
    )


def _name_videos(found: list[Line], viewer) -> None:
    """Fill in each video's label and link, in two queries for the whole page."""
    refs = {video.id for line in found for video in line.videos}
    if not refs:
        return
    alive = {
        str(pk): (title or prompt, owner_id, project_id, shared_at, trashed_at)
        for pk, title, prompt, owner_id, project_id, shared_at, trashed_at in (
            Generation.objects.filter(pk__in=refs).values_list(
                "pk", "title", "prompt", "owner_id", "project_id", "shared_at", "trashed_at"
            )
        )
    }
    kept = dict(
        (str(ref), label)
        for ref, label in VideoLabel.objects.filter(
            generation_ref__in=refs - alive.keys()
        ).values_list("generation_ref", "label")
    )
    for line in found:
        for video in line.videos:
            if video.id in alive:
                prompt, *access = alive[video.id]
                video.label = label_of(prompt)
                if viewer is not None and may_watch(viewer, *access):
                    video.url = job_url("generations:detail", video.id)
            else:
                video.gone = True
                video.label = kept.get(video.id, video.label)


def _keep_label(sender, instance: Generation, **kwargs) -> None:
    # The row goes, its events stay (generation_ref): keep its name for their lines.
    VideoLabel.objects.update_or_create(
        generation_ref=instance.pk,
        defaults={"label": label_of(instance.title or instance.prompt)},
    )


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
    user_login_failed.connect(_login_failed, dispatch_uid="reports.audit.login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="reports.audit.locked_out")
    pre_delete.connect(_keep_label, sender=Generation, dispatch_uid="reports.audit.keep_label")
