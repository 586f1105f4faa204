"""How many jobs are at CometAPI at once, and whose job goes next.

A job over a limit waits here, unpaid, not at CometAPI. The order is decided from our own
rows (never from the order they come due): round-robin between people, each person's jobs
oldest first, the person whose last job was sent longest ago going first.
"""

import collections
import heapq
import itertools
import threading
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from billing.models import Member, StudioSettings, lock_admissions

from .models import AT_COMETAPI, WAITS_FOR_SLOT, Generation, Status, slot_freed

NEVER = datetime.min.replace(tzinfo=UTC)


def in_flight():
    return Generation.objects.filter(
        Q(status__in=AT_COMETAPI) | Q(status=Status.WAITING, submit_started_at__isnull=False)
    )


def waiting():
    return Generation.objects.waiting_for_slot()


def _round_robin(*, full: bool) -> tuple[list, list]:
    """The waiting jobs' pks in the order they would be sent: those the per-person and
    team limits let through right now and, with `full`, all of them (else empty), both
    from one read of the rows."""
    busy = dict(in_flight().values("owner_id").annotate(n=Count("pk")).values_list("owner_id", "n"))
    free_team = StudioSettings.load().team_concurrency - sum(busy.values())
    if free_team <= 0 and not full:
        # The team is at its limit: nobody goes, whatever the queue. The worker asks this
        # under the slots' lock for every waiting job that comes due, so a full team must
        # not cost a read of the whole queue.
        return [], []
    jobs = list(waiting().order_by("created_at", "pk").values_list("pk", "owner_id"))
    if not jobs:
        return [], []
    owners = {owner for _, owner in jobs}
    limits = dict(Member.objects.filter(user__in=owners).values_list("user_id", "concurrency"))
    last_turn = dict(
        Generation.objects.filter(owner__in=owners, submit_started_at__isnull=False)
        .values("owner_id")
        .annotate(last=Max("submit_started_at"))
        .values_list("owner_id", "last")
    )
    queues: dict[int, list] = {}
    for pk, owner in jobs:
        queues.setdefault(owner, []).append(pk)
    free = {
        owner: limits.get(owner, settings.BILLING_PERSON_CONCURRENCY) - busy.get(owner, 0)
        for owner in owners
    }
    # Who goes first: never served, then served longest ago; ties by the oldest waiting job.
    first_job = {owner: index for index, (_, owner) in reversed(list(enumerate(jobs)))}
    return (
        _order(queues, free, free_team, last_turn, first_job),
        _order(queues, None, free_team, last_turn, first_job) if full else [],
    )


def _order(queues, free, free_team, last_turn, first_job) -> list:
    """Round-robin over `queues` (owner -> their waiting pks, oldest first); with `free`
    (owner -> slots left), stop at each person's and the team's limit."""
    limited = free is not None
    free = dict(free or {})
    queues = {owner: collections.deque(pks) for owner, pks in queues.items()}
    # A heap of turns, not a scan of every person per job: a poll reads this order, and a
    # big team's queue is hundreds of jobs from hundreds of people.
    turns = [
        (0, last_turn.get(owner) or NEVER, first_job[owner], owner)
        for owner in queues
        if not limited or free[owner] > 0
    ]
    heapq.heapify(turns)
    later = itertools.count(1)
    order = []
    while turns and (not limited or free_team > 0):
        _, last, first, owner = heapq.heappop(turns)
        order.append(queues[owner].popleft())
        if limited:
            free[owner] -= 1
            free_team -= 1
        if queues[owner] and (not limited or free[owner] > 0):
            heapq.heappush(turns, (next(later), last, first, owner))
    return order


def admissible() -> list:
    return _round_robin(full=False)[0]


def admit(generation: Generation) -> bool:
    """The worker's gate before sending a job: True once it holds a slot (its
    `submit_started_at` is written in the same transaction as the check), False when it
    must wait for one (its next action moves out: it is not due until a slot frees) or
    when it is no longer this worker's job to send."""
    with transaction.atomic():
        lock_admissions()
        still_mine = (
            Generation.objects.select_for_update()
            .filter(pk=generation.pk, lease=generation.lease)
            .filter(WAITS_FOR_SLOT)
            .values_list("pk", flat=True)
            .first()
        )
        if still_mine is None:
            return False
        if generation.pk not in admissible():
            generation.schedule(settings.BILLING_HOLD_SECONDS)
            return False
        generation.note_submit_started()
    return True


def dispatch() -> int:
    """Wake the waiting jobs that may go now; admission still decides under the lock."""
    now = timezone.now()
    woken = 0
    for pk in admissible():
        # Due now is all a wake-up takes: the worker's loop reads the due rows.
        if waiting().filter(pk=pk, lease=None, next_action_at__gt=now).update(next_action_at=now):
            woken += 1
    # Nobody's row is touched for the places that moved: the page's poll reads each waiting
    # job's place from recent_plan() and swaps only that one line (slot_wait_line).
    return woken


def _slot_freed(sender, **kwargs) -> None:
    dispatch()


slot_freed.connect(_slot_freed, dispatch_uid="generations.slots.dispatch")


def snapshot() -> tuple[set, list]:
    """What goes now and the whole waiting order, read once for every card of a page."""
    going, order = _round_robin(full=True)
    return set(going), order


_recent: tuple[float, tuple[set, list], dict] | None = None


def recent_plan() -> tuple[set, list]:
    """The snapshot, read at most once per BILLING_QUEUE_PLAN_SECONDS in each process: the
    page's poll asks for it on every tick of everyone with a waiting job, and a big queue
    costs milliseconds to order. A poll comes a whole interval after the page it updates,
    later than this plan's age, so a place it shows is never older than the page's."""
    return _kept()[1]


def recent_places() -> dict:
    """Each job waiting for a slot (and not going now) -> how many go before it, from
    recent_plan()."""
    return _kept()[2]


_reading = threading.Lock()


def _kept():
    global _recent
    kept = _recent
    if kept is not None and time.monotonic() - kept[0] < settings.BILLING_QUEUE_PLAN_SECONDS:
        return kept
    # One thread reads the queue; the others answer from the order before it meanwhile
    # (under load, every thread finding it stale at once read it eight times over).
    if not _reading.acquire(blocking=kept is None):
        return kept
    try:
        kept = _recent
        now = time.monotonic()
        if kept is None or now - kept[0] >= settings.BILLING_QUEUE_PLAN_SECONDS:
            going, order = plan = snapshot()
            places = {pk: ahead for ahead, pk in enumerate(order) if pk not in going}
            kept = _recent = (now, plan, places)
        return kept
    finally:
        _reading.release()


# Where a request keeps the order its cards are drawn with (billing's slot_wait_line tag).
PLAN_ATTRIBUTE = "_billing_slots"


def draw_with_recent_plan(request) -> None:
    """A poll's cards are drawn with the order its place lines are compared with."""
    setattr(request, PLAN_ATTRIBUTE, recent_plan())


def forget_recent_plan() -> None:
    global _recent
    _recent = None


def wait_sentence(ahead: int) -> str:
    if ahead == 0:
        return "Waiting for a free slot — you are next"
    return f"Waiting for a free slot — {ahead} ahead of you"


def wait_line_context(generation, view: str, ahead: int | None, *, strong=False, placeholder=False):
    """For billing/_slot_wait.html; `placeholder` keeps an empty element in its place, for a
    poll to replace the line of a job that no longer waits."""
    return {
        "generation": generation,
        "view": view,
        "ahead": ahead,
        "sentence": "" if ahead is None else wait_sentence(ahead),
        "strong": strong,
        "placeholder": placeholder,
    }


def ahead_of(generation: Generation, plan: tuple[set, list] | None = None) -> int | None:
    """How many jobs go before this one, when it waits for a free slot; None otherwise."""
    if not generation.waits_for_slot:
        return None
    going, order = plan or snapshot()
    if generation.pk in going or generation.pk not in order:
        return None
    return order.index(generation.pk)
