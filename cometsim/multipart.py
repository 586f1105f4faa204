"""A multipart/form-data reader that treats a body the way CometAPI's gateway does."""

from __future__ import annotations

import email.message
import email.parser
import email.utils
from dataclasses import dataclass
from typing import Any


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "data": self.data,
        }


def parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a multipart/form-data body into text fields and files (ValueError if bad).

    Read the way Go's ``mime/multipart`` reads a form (the usual stack of such
    gateways): a part is a file only if it carries a non-empty filename, the first
    value of a repeated name wins, and Content-Transfer-Encoding is ignored.
    """
    if not content_type.lower().startswith("multipart/form-data"):
        raise ValueError("Content-Type must be multipart/form-data")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("utf-8", "replace")
    message = email.parser.BytesParser().parsebytes(head + body)
    if not message.is_multipart() or not message.get_boundary():
        raise ValueError("multipart body has no parts or no boundary")
    bad = [d for d in message.defects if "Boundary" in type(d).__name__]
    if bad:
        raise ValueError(f"malformed multipart body: {type(bad[0]).__name__}")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.get_payload():
        assert isinstance(part, email.message.Message)  # a multipart payload is a list
        disposition = _disposition(part)
        name = disposition.get_param("name", header="content-disposition")
        if not name:
            continue
        name = email.utils.collapse_rfc2231_value(name)
        del part["Content-Transfer-Encoding"]
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):  # a nested multipart or message part
            data = b""
        filename = disposition.get_filename()
        if filename:
            upload = UploadedFile(filename, part.get_content_type(), data)
            files.setdefault(name, upload)
        else:
            charset = part.get_content_charset() or "utf-8"
            try:
                text = data.decode(charset, "replace")
            except LookupError:
                text = data.decode("utf-8", "replace")
            fields.setdefault(name, text)
    return fields, files


def _disposition(part: email.message.Message) -> email.message.Message:
    """The part's Content-Disposition alone, raw UTF-8 names and filenames decoded."""
    holder = email.message.Message()
    for key, value in part.raw_items():
        if key.lower() == "content-disposition":
            # The parser reads headers as ASCII with surrogate escapes; browsers send
            # raw UTF-8.
            holder[key] = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            break
    return holder
