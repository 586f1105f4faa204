"""Hand a stored file to the browser, once the caller has checked that it may see it.

Three ways, chosen by settings.MEDIA_SERVING:
- "django": stream it ourselves with Range support (lib/ranges.py);
- "nginx": answer only headers with X-Accel-Redirect; nginx reads the file from an
  `internal` location and does Range, sendfile and slow clients itself;
- "redirect": a 302 to a short-lived presigned URL on S3-compatible storage.

Every answer carries validators and `private, no-cache`: the browser keeps the bytes but
asks again on each use, so access is checked every time (an unshared video answers 404 at
once) and a reload that may still see the file costs a 304 and no bytes.

A video or a ZIP sent by Django holds one of the process's threads until the browser has
read it: twenty slow readers of one ZIP once held every thread, and every page waited. Each
person may hold MEDIA_STREAMS_PER_PERSON of them at once in a process (the threads are the
process's own, so that is where they are counted); past that they get a friendly 429. In
production nginx (X-Accel-Redirect) or the bucket (a presigned link) sends video bytes and
no thread waits; ZIPs are always streamed by the web process, so they stay bounded.
"""

import hashlib
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase, HttpResponseNotModified
from django.shortcuts import render
from django.utils.http import (
    content_disposition_header,
    http_date,
    parse_etags,
    parse_http_date_safe,
)

from lib.ranges import ranged_file_response

from . import storage

# Kept, but checked with us before each use: see the module's docstring.
MEDIA_CACHE = "private, no-cache"


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: int | None = None  # seconds since the epoch
    size: int | None = None

    def headers(self) -> dict[str, str]:
        headers = {"ETag": self.etag, "Cache-Control": MEDIA_CACHE}
        if self.last_modified is not None:
            headers["Last-Modified"] = http_date(self.last_modified)
        return headers

    def match(self, request: HttpRequest) -> bool:
        """Whether the browser's copy is still this one (RFC 9110 §13.2.2: If-None-Match
        wins over If-Modified-Since)."""
        if request.method not in ("GET", "HEAD"):
            return False
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            wanted = parse_etags(if_none_match)
            return "*" in wanted or _weak(self.etag) in {_weak(tag) for tag in wanted}
        since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
        return since is not None and self.last_modified is not None and self.last_modified <= since

    def still_current(self, if_range: str) -> bool:
        """If-Range: a range of this very file, or else the whole file."""
        if if_range.startswith(('"', "W/")):
            return if_range == self.etag  # If-Range takes strong comparison only
        since = parse_http_date_safe(if_range)
        return since is not None and self.last_modified is not None and self.last_modified == since


def _weak(tag: str) -> str:
    return tag.removeprefix("W/")


def serve_file(
    request: HttpRequest,
    field_file: FieldFile,
    content_type: str,
    attachment_name: str | None = None,
) -> HttpResponseBase:
    assert field_file.name, "the caller checks that something is stored"
    redirect = settings.MEDIA_SERVING == "redirect"
    validators = _link_validators(field_file.name) if redirect else _file_validators(field_file)
    if validators.match(request):
        return _not_modified(validators)
    if redirect:
        response = _redirect(field_file.name, content_type, attachment_name)
    elif settings.MEDIA_SERVING == "nginx":
        response = _accel_redirect(field_file.name, content_type, attachment_name)
    else:

        def build() -> HttpResponseBase:
            return ranged_file_response(
                request, field_file, content_type, attachment_name, validators
            )

        # Only here does a web thread send the bytes (and wait for a slow reader); images
        # are small and many at once in a gallery, so only videos count.
        response = send(request, build) if content_type.startswith("video/") else build()
    for header, value in validators.headers().items():
        response.setdefault(header, value)
    return response


def _file_validators(field_file: FieldFile) -> Validators:
    """Size and time of the local file, as nginx words them (`"<mtime hex>-<size hex>"`), so
    a validator the browser got from nginx is the one Django compares, and the other way."""
    assert field_file.name is not None
    try:
        stat = os.stat(field_file.storage.path(field_file.name))
    except FileNotFoundError:
        raise Http404("The file is missing from storage") from None
    mtime = int(stat.st_mtime)
    return Validators(etag=f'"{mtime:x}-{stat.st_size:x}"', last_modified=mtime, size=stat.st_size)


def _link_validators(name: str) -> Validators:
    """For a redirect: the tag names the object and the half-lifetime window the link was
    signed in. A 304 lets the browser reuse the link it holds, which then still has at least
    half its lifetime to run; in the next window the tag changes and a fresh link goes out."""
    window = max(settings.S3_URL_SECONDS // 2, 1)
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return Validators(etag=f'"{digest}-{int(time.time()) // window:x}"')


def _not_modified(validators: Validators) -> HttpResponseNotModified:
    response = HttpResponseNotModified()
    for header, value in validators.headers().items():
        response[header] = value
    return response


def _redirect(name: str, content_type: str, attachment_name: str | None) -> HttpResponseBase:
    seconds = settings.S3_URL_SECONDS
    url = storage.presigned_url(
        name, content_type, seconds=seconds, attachment_name=attachment_name
    )
    return HttpResponseRedirect(url)


def _accel_redirect(name: str, content_type: str, attachment_name: str | None) -> HttpResponse:
    response = HttpResponse(content_type=content_type)
    # Names are server-chosen (folder/uuid.ext); quoting is a second line of defence.
    response["X-Accel-Redirect"] = settings.NGINX_MEDIA_PREFIX + quote(name)
    response["X-Content-Type-Options"] = "nosniff"
    if attachment_name:
        response["Content-Disposition"] = content_disposition_header(True, attachment_name)
    return response


# --- a bound on the streams one person holds ---------------------------------------------

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
    # A guest through a review link has no account: the link's view names whom to count.
    place = Place(getattr(request, "media_streamer", None) or request.user.pk)
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


def open_streams(person_pk) -> int:
    with _lock:
        return len(_open.get(person_pk, ()))


def forget_streams() -> None:
    """For tests: no place outlives the test that took it."""
    with _lock:
        _open.clear()
