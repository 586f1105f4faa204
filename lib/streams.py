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
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

RETRY_AFTER_SECONDS = 10

_lock = threading.Lock()
_open: dict[object, set[object]] = {}  # person's pk -> a token per stream being sent


class Place:
    """One stream's place, given back once (by the server's close() or when dropped)."""

    def __init__(self, person):
        self.person = person
        self.token = object()

    def release(self) -> None:
        with _lock:
            tokens = _open.get(self.person, set())
            tokens.discard(self.token)
            if not tokens:
                _open.pop(self.person, None)


def take(request: HttpRequest) -> Place | None:
    """A place for one more stream of this person's, or None when they have them all."""
    place = Place(request.user.pk)
    with _lock:
        tokens = _open.setdefault(place.person, set())
        if len(tokens) >= settings.MEDIA_STREAMS_PER_PERSON:
            return None
        tokens.add(place.token)
    return place


def send(request: HttpRequest, build: Callable[[], HttpResponseBase]) -> HttpResponseBase:
    """`build()`'s answer, counted against its person until it is closed; or a 429 page
    (and `build` is never called) when they already have as many streams as they may."""
    place = take(request)
    if place is None:
        return too_many(request)
    try:
        response = build()
    except BaseException:
        place.release()
        raise
    if not response.streaming:  # an error page or a 416: nothing to hold
        place.release()
        return response
    # The server calls close() when the answer is sent or the reader went away; the
    # finalizer also frees the place of an answer nobody closed once it is dropped.
    release = weakref.finalize(response, place.release)
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
        return len(_open.get(person_pk, ()))


def forget() -> None:
    """For tests: no place outlives the test that took it."""
    with _lock:
        _open.clear()
