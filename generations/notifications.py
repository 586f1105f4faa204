"""The inbox: what the studio tells a person in the app (the bell in the header).

Every notification is written by `notify`, which keeps the one promise of the inbox:
nobody is ever told about a video they cannot see (private, unshared, trashed, in a
limited project they are not in) or about a project they cannot open, and deactivated
people are told nothing.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone

from .access import projects_seen_by, visible_to
from .models import Generation, Notification, NotificationKind, Project, budget_reached


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
    return Notification.objects.filter(recipient=person, read_at__isnull=True).count()


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
