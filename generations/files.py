"""Hand a stored file to the browser, once the caller has checked that it may see it.

Three ways, chosen by settings.MEDIA_SERVING:
- "django": stream it ourselves with Range support (generations/ranges.py);
- "nginx": answer only headers with X-Accel-Redirect; nginx reads the file from an
  `internal` location and does Range, sendfile and slow clients itself;
- "redirect": a 302 to a short-lived presigned URL on S3-compatible storage.
"""

from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from . import storage
from .ranges import ranged_file_response

# Browsers may reuse an answer for this long; stored files never change under a name.
PRIVATE_CACHE = "private, max-age=3600"


def serve_file(
    request: HttpRequest,
    field_file: FieldFile,
    content_type: str,
    attachment_name: str | None = None,
) -> HttpResponseBase:
    assert field_file.name, "the caller checks that something is stored"
    if settings.MEDIA_SERVING == "redirect":
        return _redirect(field_file.name, content_type, attachment_name)
    if settings.MEDIA_SERVING == "nginx":
        return _accel_redirect(field_file.name, content_type, attachment_name)
    return ranged_file_response(request, field_file, content_type, attachment_name)


def _redirect(name: str, content_type: str, attachment_name: str | None) -> HttpResponseBase:
    seconds = settings.S3_URL_SECONDS
    url = storage.presigned_url(
        name, content_type, seconds=seconds, attachment_name=attachment_name
    )
    response = HttpResponseRedirect(url)
    # The browser may reuse the link while it is surely still valid, and no longer.
    response["Cache-Control"] = f"private, max-age={seconds // 2}"
    return response


def _accel_redirect(name: str, content_type: str, attachment_name: str | None) -> HttpResponse:
    response = HttpResponse(content_type=content_type)
    # Names are server-chosen (folder/uuid.ext); quoting is a second line of defence.
    response["X-Accel-Redirect"] = settings.NGINX_MEDIA_PREFIX + quote(name)
    response["Cache-Control"] = PRIVATE_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    if attachment_name:
        response["Content-Disposition"] = content_disposition_header(True, attachment_name)
    return response
