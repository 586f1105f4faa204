"""An upload handler that stops keeping a file part once it passes the picture's byte cap.

The body limit (RequestBodyLimitMiddleware) already bounds what a request can carry;
this bounds what is kept of any one file, whatever the request claimed, and turns an
oversized part into a file the form refuses in words ("larger than 20 MB") rather than
one that silently disappears, which would start a job without its first frame.
"""

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(UploadedFile):
    """Stands in for a file part whose bytes were dropped at the cap; only its size is real."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        super().__init__(io.BytesIO(), name, content_type, size, charset, content_type_extra)


class CappedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.dropped = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.FIRST_FRAME_MAX_BYTES:
            self.dropped = True
        # None keeps the chunk from the handlers after this one (memory, temp file).
        return None if self.dropped else raw_data

    def file_complete(self, file_size):
        if not self.dropped:
            return None  # the next handler holds the whole file
        return OversizedUpload(
            self.file_name,
            self.content_type,
            self.received,
            self.charset,
            self.content_type_extra,
        )
