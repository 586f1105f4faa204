"""A bound on the long answers one person keeps a web process busy with.

A video or a ZIP sent by Django holds one of the process's threads until the browser has
read it: twenty slow readers of one ZIP once held every thread, and every page waited. Each
person may hold MEDIA_STREAMS_PER_PERSON of them at once in a process (the threads are the
process's own, so that is where they are counted); past that they get a friendly 429. In
production nginx (X-Accel-Redirect) or the bucket (a presigned link) sends video bytes and
no thread waits; ZIPs are always streamed by the web process, so they stay bounded.
"""

import threading
import weakref
from collections import Counter

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

_lock = threading.Lock()
_open: Counter = Counter()
RETRY_AFTER_SECONDS = 10


def hold(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """`response`, counted against its person until the server closes it; or, past the
    bound, a 429 page instead (and `response` is closed unsent)."""
    person = request.user.pk
    with _lock:
        taken = _open[person] >= settings.MEDIA_STREAMS_PER_PERSON
        if not taken:
            _open[person] += 1
    if taken:
        response.close()
        return too_many(request)
    # The server calls close() when the answer is sent or the reader went away; the
    # finalizer also counts an answer nobody closed (the test client's unread streams) once
    # it is dropped. Either runs the release once.
    release = weakref.finalize(response, _release, person)
    response._resource_closers.append(release)  # type: ignore[attr-defined]
    return response


def too_many(request: HttpRequest) -> HttpResponseBase:
    response = render(
        request,
        "too_many_streams.html",
        {"limit": settings.MEDIA_STREAMS_PER_PERSON},
        status=429,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def open_count(person_pk) -> int:
    with _lock:
        return _open[person_pk]


def _release(person) -> None:
    with _lock:
        _open[person] -= 1
        if _open[person] <= 0:
            del _open[person]
