"""The page's one poll (base.html's poller asks it every few seconds; its numbers are in
polling.py)."""

import json
import re
import uuid

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django_htmx.http import HttpResponseStopPolling

from .. import gallery, slots, wording
from ..access import watcher, watches
from ..models import ACTIVE_STATUSES, Generation, RunningJobs, poll_rows
from ..polling import POLL_LIMIT

POLL_PARTIALS = {
    "card": "generations/_card.html",
    "status": "generations/detail.html#status",
    # A running job's History grows with each step ("Sent to CometAPI", "Rendering started").
    "history": "generations/detail.html#history",
}
# A waiting job's place in the queue is its own polled line inside its card or status: the
# place moves each time a slot frees, and that should not redraw the whole card.
WAIT_LINES = {"wait-card": "card", "wait-status": "status"}


def poll(request: HttpRequest) -> HttpResponse:
    """The page's one poll, sent by htmx from base.html's poller: every running job the page
    shows (`v`, view.id.version triples) and the jobs its header counts (`watch`). The answer
    holds out-of-band swaps for the cards whose version changed and for the header when its
    jobs changed; jobs that ended or left the page come as events after the swap. Most polls
    find nothing changed: they cost one light query, and only changed jobs are read in full.
    Once nothing on the page or in the header runs, it answers 286 and htmx stops."""
    seen = poll_request(request.GET.getlist("v"))
    watched = _watched(request.GET.get("watch", ""))
    viewer = watcher(request.user)
    found = poll_rows([*seen, *watched], running_of=request.user.pk)
    rows = {row.pk: row for row in found if watches(viewer, row)}
    running = RunningJobs.of(
        (row.pk, row.status, row.submit_started_at)
        for row in found
        if row.owner_id == request.user.pk and row.status in ACTIVE_STATUSES
    )
    changed = [
        pk
        for pk, views in seen.items()
        if pk in rows
        and any(
            view in POLL_PARTIALS and version != _version_for(view, rows[pk])
            for view, version in views
        )
    ]
    places_shown = any(view in WAIT_LINES for views in seen.values() for view, _ in views)
    if places_shown or any(rows[pk].waits_for_slot for pk in changed):
        slots.draw_with_recent_plan(request)
    fragments: dict[str, str] = {}
    if changed:
        jobs = gallery.as_cards(Generation.objects.filter(pk__in=changed), request.user)
        for generation in jobs:
            if not watches(viewer, generation):
                continue  # unshared a moment ago: the next poll says it is gone
            for view, version in seen[generation.pk]:
                if view in POLL_PARTIALS and version != _version_for(view, generation):
                    html = render_to_string(
                        POLL_PARTIALS[view], {"generation": generation}, request
                    )
                    fragments[f"{view}-{generation.pk}"] = html  # the id of what it replaces
    if places_shown:
        fragments.update(_moved_places(seen, rows, fragments))
    if set(running) != {str(pk) for pk in watched} or running.waiting != _waiting_shown(
        request, running.waiting
    ):
        fragments["jobs-indicator"] = render_to_string(
            "generations/_jobs_indicator.html", {"running_jobs": running}, request
        )
    events: dict[str, list] = {}
    ended = _ended(watched, rows)
    if ended:
        events["veostudio:ended"] = ended
    # Jobs the page shows that the person may no longer see (unshared, deleted): the page
    # drops them. Only ids the page sent come back, so this tells nobody anything new.
    gone = [f"{view}-{pk}" for pk, views in seen.items() if pk not in rows for view, _ in views]
    if gone:
        events["veostudio:gone"] = gone
    response = HttpResponse("".join(_out_of_band(html) for html in fragments.values()))
    if events:
        # After the swap, so that what listens (notify.js, team.js) sees the fresh cards.
        response["HX-Trigger-After-Swap"] = json.dumps(events)
    still_running = running or any(rows[pk].status in ACTIVE_STATUSES for pk in seen if pk in rows)
    if not still_running:
        # The poller is not swapped (hx-swap="none"), so nothing brings its trigger back.
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _watched(value: str) -> list[uuid.UUID]:
    """The header's job ids, space-separated; anything malformed is ignored."""
    watched = []
    for token in value.split()[:50]:
        try:
            watched.append(uuid.UUID(token))
        except ValueError:
            continue
    return watched


def _waiting_shown(request: HttpRequest, waiting: int) -> int:
    """How many of the header's jobs the page shows as waiting for a slot (poll.js sends
    the pill's number, so a job leaving the queue for CometAPI redraws the pill); a client
    that does not say is taken to show the right number."""
    value = request.GET.get("waiting")
    if value is None:
        return waiting
    return int(value) if value.isdigit() else -1


def _ended(watched, rows) -> list[dict[str, str]]:
    """How the header's jobs that ended did, for the tab title and a notification. Read in
    full only when one ended, a few times per job: most polls find none."""
    ended_ids = [pk for pk in watched if pk in rows and rows[pk].status not in ACTIVE_STATUSES]
    if not ended_ids:
        return []
    jobs = Generation.objects.filter(pk__in=ended_ids).only(
        "pk", "prompt", "status", "failure_reason"
    )
    return [
        {
            "id": str(job.pk),
            "status": job.status,
            "title": wording.job_ended_title(job),
            "body": wording.job_ended_body(job),
            "url": job.get_absolute_url(),
        }
        for job in jobs
    ]


_FIRST_TAG = re.compile(r"<([a-zA-Z][\w-]*)")


def _out_of_band(html: str) -> str:
    """A fragment marked to replace the element of its id wherever it is in the page. Done
    here, not in the templates: finished cards come from a cache shared with the pages."""
    return _FIRST_TAG.sub(r'<\1 hx-swap-oob="true"', html, count=1)


def _version_for(view: str, job) -> int:
    """A card shows less than the status part of a video's page (no time so far), so its
    version changes less often. `job` is a Generation or a PollRow."""
    return job.card_version if view == "card" else job.poll_version


def _moved_places(seen, rows, redrawn) -> dict[str, str]:
    """The place lines whose number moved, each drawn alone; a line inside a card or status
    redrawn above is already fresh."""
    lines: dict[str, str] = {}
    for pk, views in seen.items():
        for view, shown in views:
            if view not in WAIT_LINES or pk not in rows:
                continue
            if f"{WAIT_LINES[view]}-{pk}" in redrawn:
                continue
            ahead = slots.recent_places().get(pk) if rows[pk].waits_for_slot else None
            if ahead != shown:
                context = slots.wait_line_context(
                    Generation(pk=pk),
                    WAIT_LINES[view],
                    ahead,
                    strong=WAIT_LINES[view] == "status",
                    placeholder=True,
                )
                lines[f"{view}-{pk}"] = render_to_string("billing/_slot_wait.html", context)
    return lines


def poll_request(values: list[str]) -> dict[uuid.UUID, list[tuple[str, int]]]:
    """Parse `view.id.version` triples, space-separated in one value as poll.js sends them
    (one short parameter: no percent-escapes to undo, no list of parameters to build), or
    `view:id:version`, one per value; anything malformed is ignored, not an error."""
    seen: dict[uuid.UUID, list[tuple[str, int]]] = {}
    tokens = [token for value in values for token in value.split()]
    for token in tokens[:POLL_LIMIT]:
        parts = token.replace(":", ".").split(".")
        if len(parts) != 3:
            continue
        view, pk, version = parts
        if view not in POLL_PARTIALS and view not in WAIT_LINES:
            continue
        try:
            key, number = uuid.UUID(pk), int(version)
        except ValueError:
            continue
        seen.setdefault(key, []).append((view, number))
    return seen
