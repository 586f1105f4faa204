"""The inbox: what the studio tells a person in the app (the bell in the header).

Every notification is written by `notify`, which keeps the one promise of the inbox:
nobody is ever told about a video they cannot see (private, unshared, trashed, in a
limited project they are not in) or about a project they cannot open, and deactivated
people are told nothing.
"""

import re
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from lib.prepared import Prepared, as_aware

from . import wording
from .access import people_who_see, projects_seen_by, visible_to
from .models import (
    FAILED_STATUSES,
    Comment,
    Generation,
    Notification,
    NotificationKind,
    Project,
    Status,
    budget_reached,
)


def notify(
    people,
    kind: str,
    text: str,
    *,
    generation: Generation | None = None,
    project: Project | None = None,
    actor=None,
    actor_name: str = "",
    url: str = "",
) -> list[Notification]:
    """Tell each of `people` (users or ids) `text`, except the actor (nobody is told what
    they did themselves) and anyone who may not see `generation` or `project`."""
    ids = {getattr(person, "pk", person) for person in people} - {getattr(actor, "pk", None)}
    recipients = get_user_model().objects.filter(pk__in=ids, is_active=True)
    allowed = []
    for person in recipients:
        if generation is not None and not (
            Generation.objects.filter(visible_to(person.pk), pk=generation.pk).exists()
        ):
            continue
        if project is not None and not (projects_seen_by(person.pk).filter(pk=project.pk).exists()):
            continue
        allowed.append(person)
    if not url and generation is not None:
        url = generation.get_absolute_url()
    return Notification.objects.bulk_create(
        Notification(
            recipient=person,
            kind=kind,
            generation=generation,
            project=project,
            actor=actor,
            actor_name=actor_name or (actor.get_username() if actor else ""),
            text=text[:300],
            url=url,
        )
        for person in allowed
    )


def unread_count(person) -> int:
    """The bell's number: one count on the (recipient, read_at) index, each unread line
    checked against what the person still sees. On every page: the query is built once per
    process (UNREAD); building it cost a sixth of a cold gallery (bench/README.md)."""
    if not (person.is_authenticated and person.is_active):
        return 0
    found = UNREAD.rows(person.pk)
    return found[0][0] if found else 0


def mark_all_read(person) -> int:
    return Notification.objects.filter(recipient=person, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def project_people(project: Project) -> set[int]:
    """Whom a project's news concerns: its maker, its named people, everyone who made a
    video in it, and the admins (`notify` still drops anyone who cannot open it)."""
    people = {project.created_by_id} if project.created_by_id else set()
    people.update(project.members.values_list("pk", flat=True))
    people.update(
        Generation.objects.filter(project=project).order_by().values_list("owner_id", flat=True)
    )
    people.update(
        get_user_model().objects.filter(is_staff=True, is_active=True).values_list("pk", flat=True)
    )
    return people


def notify_budget(project: Project, alerts) -> list[Notification]:
    """Tell the project's people that its spend reached 80 % or 100 % of a budget
    (billing's BudgetAlert values, each reported once per period)."""
    from billing.ledger import dollars

    told: list[Notification] = []
    for alert in alerts:
        which = "monthly budget" if alert.monthly else "budget"
        if alert.level >= 100:
            text = (
                f"“{project.name}” has used all of its {which} ({dollars(alert.committed)} of "
                f"{dollars(alert.cap)}): new videos in it are refused until it is raised."
            )
        else:
            text = (
                f"“{project.name}” has used {alert.level} % of its {which} "
                f"({dollars(alert.committed)} of {dollars(alert.cap)})."
            )
        told += notify(
            project_people(project),
            NotificationKind.BUDGET,
            text,
            project=project,
            url=project.get_absolute_url(),
        )
    return told


def _budget_reached(sender, project: Project, alerts, **kwargs) -> None:
    notify_budget(project, alerts)


budget_reached.connect(_budget_reached, dispatch_uid="generations.notifications.budget")


# --- what the studio tells whom (inbox) ---------------------------------------------------

MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


def mentioned_in(body: str, generation: Generation) -> list:
    """The people `body` names with @username who may see `generation`; a name of anyone
    else is left as plain text (nobody else is ever told, or learns who exists)."""
    names = set()
    for match in MENTION.finditer(body):
        name = match.group(1)
        names.update({name.lower(), name.rstrip(".-+").lower()})
    if not names:
        return []
    return [
        person
        for person in people_who_see(generation).order_by("username")
        if person.get_username().lower() in names
    ]


def tell_about_comment(comment: Comment, *, was: str | None = None) -> None:
    """The people a new comment concerns: those it mentions, and the video's owner. For an
    edited one (`was`, its words before), only the people it mentions now and did not."""
    generation = comment.generation
    author = comment.author
    who = wording.person_name(author) if author else f"{comment.guest_name} (guest)"
    moment = f" at {comment.moment_label}" if comment.at_seconds is not None else ""
    title = generation.display_title
    quote = comment.body if len(comment.body) <= 120 else comment.body[:119] + "…"
    mentioned = mentioned_in(comment.body, generation)
    if was is not None:
        before = {person.pk for person in mentioned_in(was, generation)}
        mentioned = [person for person in mentioned if person.pk not in before]
    url = comment.moment_link
    if mentioned:
        notify(
            mentioned,
            NotificationKind.MENTION,
            f"{who} mentioned you on “{title}”{moment}: {quote}",
            generation=generation,
            actor=author,
            actor_name=who,
            url=url,
        )
    if was is None and generation.owner_id not in {person.pk for person in mentioned}:
        notify(
            [generation.owner_id],
            NotificationKind.COMMENT,
            f"{who} commented on your video “{title}”{moment}: {quote}",
            generation=generation,
            actor=author,
            actor_name=who,
            url=url,
        )


def tell_about_decision(
    generation: Generation, actor=None, *, guest_name: str = "", note: str = ""
) -> None:
    """A review decision on a video: its owner hears who decided what (`actor` None with a
    `guest_name` for a guest's, through a review link). Mailed by the inbox."""
    who = wording.person_name(actor) if actor else f"{guest_name or 'A guest'} (guest)"
    status = generation.get_review_status_display()
    text = f"{who} set “{generation.display_title}” to {status}."
    if note:
        text += f" {note}"
    notify(
        [generation.owner_id],
        NotificationKind.DECISION,
        text,
        generation=generation,
        actor=actor,
        actor_name=who,
    )


def forget_comment(comment: Comment) -> int:
    """A deleted comment's words leave the inboxes that quoted them (their lines lead to
    `comment.moment_link`); the number of lines removed."""
    lines = Notification.objects.filter(
        generation_id=comment.generation_id, url=comment.moment_link
    )
    return lines.delete()[0]


def tell_job_ended(generation: Generation) -> None:
    """The worker's: the owner's video is ready, or failed (their inbox, not only the tab
    that happens to be open)."""
    title = generation.display_title
    if generation.status == Status.READY:
        notify(
            [generation.owner_id],
            NotificationKind.READY,
            f"Your video “{title}” is ready.",
            generation=generation,
        )
    elif generation.status in FAILED_STATUSES:
        notify(
            [generation.owner_id],
            NotificationKind.FAILED,
            f"Your video “{title}” failed: {generation.failure_reason}",
            generation=generation,
        )


def tell_shared(generation: Generation, actor, already: set | frozenset = frozenset()) -> None:
    """Shared with the team, or put in a project: everyone who now sees it and is not in
    `already` (notify drops the actor, and anyone who still may not see it)."""
    who = wording.person_name(actor)
    if generation.project is not None:
        text = f"{who} put “{generation.display_title}” in {generation.project.name}."
    else:
        text = f"{who} shared “{generation.display_title}” with the team."
    people = people_who_see(generation).exclude(pk=generation.owner_id).values_list("pk", flat=True)
    people = [pk for pk in people if pk not in already]  # told only what is news to them
    notify(people, NotificationKind.SHARED, text, generation=generation, actor=actor)


def readable(person):
    """`person`'s notifications as the inbox shows them: filtered again at read time, so
    a video made private, unshared, trashed or moved out of their reach since (or a project
    limited since) drops out of the list and the count."""
    if not (person.is_authenticated and person.is_active):
        return Notification.objects.none()
    return _readable_to(person.pk)


def _readable_to(person_pk):
    """`readable` for an active person's id (check that first)."""
    mine = Notification.objects.filter(recipient_id=person_pk)
    seen_video = Generation.objects.filter(visible_to(person_pk), pk=OuterRef("generation_id"))
    seen_project = projects_seen_by(person_pk).filter(pk=OuterRef("project_id"))
    return mine.filter(
        Q(generation__isnull=True) | Exists(seen_video),
        Q(project__isnull=True) | Exists(seen_project),
    )


# unread_count's query: one row (the count) or none (nothing unread).
UNREAD = Prepared(
    lambda pk: (
        _readable_to(pk)
        .filter(read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("*"))
        .values_list("n")
    ),
    get_user_model()._meta.pk,
)


# The person's unread lines before the check of what they still see: the header's first
# question. Planning UNREAD's visibility rule took PostgreSQL 0.4 ms on every page, for most
# people to learn that nothing is unread; only a count above 0 asks UNREAD itself.
UNREAD_LINES = Prepared(
    lambda pk: (
        Notification.objects.filter(recipient_id=pk, read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("*"))
        .values_list("n")
    ),
    get_user_model()._meta.pk,
)


# The inbox lists this many of the newest lines: older ones are rarely looked for.
INBOX_SHOWN = 100


class InboxLine(NamedTuple):
    """A line as the inbox page shows it (no model instance: a page of a hundred lines
    spent more building them than the database took to find them)."""

    pk: int
    kind: str
    text: str
    created_at: datetime
    read_at: datetime | None


def inbox_lines(person) -> list[InboxLine]:
    """`readable(person)`'s newest INBOX_SHOWN lines, newest first, from a query built once
    per process (the same rule, tests/test_prepared.py)."""
    if not (person.is_authenticated and person.is_active):
        return []
    return [
        InboxLine(pk, kind, text, as_aware(created_at), read_at and as_aware(read_at))
        for pk, kind, text, created_at, read_at in INBOX_LINES.rows(person.pk)
    ]


INBOX_LINES = Prepared(
    lambda pk: (
        _readable_to(pk)
        .order_by("-created_at", "-pk")
        .values_list("pk", "kind", "text", "created_at", "read_at")[:INBOX_SHOWN]
    ),
    get_user_model()._meta.pk,
)
