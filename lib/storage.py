"""Our thin layer over where media lives. Everything else asks these helpers.

django-storages (pinned; its maintainer announced he can no longer keep up with it) does
the S3 work; only this module imports it, so replacing it means rewriting this file.
"""

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

# One 8 MB part in flight at a time: boto3's default (10 threads x 8 MB) would add 80 MB
# to the worker's peak memory while a large video uploads.
UPLOAD_PART_BYTES = 8 * 1024 * 1024


class PrivateS3Storage(S3Storage):
    """A private bucket: no ACL, no public URLs, server-chosen names never overwritten."""

    def get_default_settings(self):
        defaults = super().get_default_settings()
        from boto3.s3.transfer import TransferConfig

        defaults.update(
            default_acl=None,
            querystring_auth=True,
            # Version 4 everywhere: AWS's newer regions and most S3-compatibles refuse v2.
            signature_version="s3v4",
            # A custom domain silently turns the links into unsigned ones (see PITFALLS.md).
            custom_domain=None,
            # Names are random UUIDs; skipping the existence check saves a round trip.
            file_overwrite=True,
            # A file opened for reading is downloaded whole into a spooled temporary file:
            # past one part it goes to disk (the default 0 kept a whole video in memory).
            max_memory_size=UPLOAD_PART_BYTES,
            transfer_config=TransferConfig(
                multipart_threshold=UPLOAD_PART_BYTES,
                multipart_chunksize=UPLOAD_PART_BYTES,
                max_concurrency=1,
                use_threads=False,
            ),
        )
        return defaults


def is_local(storage: Storage = default_storage) -> bool:
    return isinstance(storage, FileSystemStorage)


class _MovedFile(File):
    """Lets FileSystemStorage move a finished download into place (one rename) instead of
    copying it; only offered to local storage, the only one that can use it."""

    def temporary_file_path(self) -> str:
        assert self.name is not None  # built from a named file
        return self.name


def finished_file(handle) -> File:
    """Wrap an open scratch file for `storage.save()`, the cheapest way for the storage."""
    return _MovedFile(handle) if is_local() else File(handle)


def presigned_url(
    name: str,
    content_type: str,
    *,
    seconds: int,
    attachment_name: str | None = None,
) -> str:
    """A short-lived link to one object in the bucket, with the answer headers we choose.
    The browser may keep the object's bytes no longer than the link lives; it only reaches
    the link again through a redirect that checked access (media.py)."""
    storage = default_storage
    assert isinstance(storage, S3Storage), "presigned URLs need STORAGE_BACKEND=s3"
    parameters = {
        "ResponseContentType": content_type,
        "ResponseCacheControl": f"private, max-age={seconds}",
    }
    if attachment_name:
        parameters["ResponseContentDisposition"] = content_disposition_header(True, attachment_name)
    return storage.url(name, parameters=parameters, expire=seconds)
