"""What several pages' views share: the request type htmx fills in, reading a list of
video ids, the "Moved to the Trash" message and going back where the person came from."""

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def ids_in(data) -> list[uuid.UUID]:
    """The video ids a form or link names (`ids`, repeated); anything malformed is ignored."""
    ids = []
    for value in data.getlist("ids")[:500]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


def tell_trashed(request: HttpRequest, pks: list, skipped: int = 0) -> None:
    count = len(pks)
    text = "Moved to the Trash." if count == 1 else f"Moved {count} videos to the Trash."
    if skipped:
        text += f" {skipped} still being made stayed in the gallery."
    messages.success(request, text, extra_tags="undo:" + ",".join(str(pk) for pk in pks))


def back_or(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back to the page the form came from (`next`), only when it is on this site: a
    `next` pointing elsewhere would make our buttons an open redirect."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = fallback
    return redirect(target)
