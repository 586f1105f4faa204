"""Hand a stored file to the browser, once the caller has checked that it may see it.

Three ways, chosen by settings.MEDIA_SERVING:
- "django": stream it ourselves with Range support (generations/ranges.py);
- "nginx": answer only headers with X-Accel-Redirect; nginx reads the file from an
  `internal` location and does Range, sendfile and slow clients itself;
- "redirect": a 302 to a short-lived presigned URL on S3-compatible storage.

Every answer carries validators and `private, no-cache`: the browser keeps the bytes but
asks again on each use, so access is checked every time (an unshared video answers 404 at
once) and a reload that may still see the file costs a 304 and no bytes.
"""

import hashlib
import os
import time
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase, HttpResponseNotModified
from django.utils.http import (
    content_disposition_header,
    http_date,
    parse_etags,
    parse_http_date_safe,
)

from . import storage, streams
from .ranges import ranged_file_response

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
        response = streams.send(request, build) if content_type.startswith("video/") else build()
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
