"""Serve a stored file with HTTP Range support, so browsers can seek in videos.

Django's FileResponse ignores Range; without 206 answers Safari will not play an MP4.
"""

import re
from typing import TYPE_CHECKING, Literal

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

if TYPE_CHECKING:
    from .media import Validators

CHUNK = 64 * 1024
# At most 18 digits: enough for any file, and int() stays cheap on hostile headers.
_RANGE = re.compile(r"^bytes=([0-9]{0,18})-([0-9]{0,18})$")


def parse_range(header: str, size: int) -> tuple[int, int] | None | Literal[False]:
    """(start, end) inclusive for a satisfiable single range; None to ignore; False for 416."""
    match = _RANGE.match(header.strip())
    if not match:
        return None  # multiple or malformed ranges: answer with the whole file
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(size - length, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return False
    return start, min(end, size - 1)


class _Window:
    """Bytes start..start+length-1 of an open file, as a file of its own.

    Under gunicorn, Django hands it to wsgi.file_wrapper and gunicorn sends it with
    sendfile() (the fd is already at `start`; Content-Length bounds it), so no video byte
    passes through Python and page requests keep their share of the GIL. Elsewhere (the
    test client, other servers) `read()` streams it and stops at the range's end.
    """

    def __init__(self, handle, start: int, length: int):
        handle.seek(start)
        self._handle = handle
        self._remaining = length

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        size = self._remaining if size < 0 else min(size, self._remaining)
        data = self._handle.read(size)
        self._remaining -= len(data)
        return data

    def fileno(self) -> int:
        return self._handle.fileno()

    def close(self) -> None:
        self._handle.close()


class _RangeResponse(FileResponse):
    block_size = CHUNK


def ranged_file_response(
    request: HttpRequest,
    field_file: FieldFile,
    content_type: str,
    attachment_name: str | None = None,
    validators: "Validators | None" = None,
) -> HttpResponseBase:
    """The file or the range asked for; `validators` (media.py) decide If-Range and give
    the size already read from the file system."""
    try:
        size = validators.size if validators and validators.size is not None else field_file.size
        assert field_file.name is not None  # .size has already raised ValueError if not
        handle = field_file.storage.open(field_file.name, "rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage") from None
    wanted = (
        parse_range(request.headers.get("Range", ""), size) if "Range" in request.headers else None
    )
    if_range = request.headers.get("If-Range")
    if wanted is not None and if_range and not (validators and validators.still_current(if_range)):
        wanted = None  # the browser's part is of another file: start again from the top
    if wanted is False:
        handle.close()
        response: HttpResponseBase = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    start, end = wanted if wanted else (0, size - 1)
    length = max(end - start + 1, 0)
    response = _RangeResponse(
        _Window(handle, start, length), status=206 if wanted else 200, content_type=content_type
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    if attachment_name:
        response["Content-Disposition"] = content_disposition_header(True, attachment_name)
    return response
