"""A shared cast, a way to run the worker one step at a time, a filled-in form, a hand-built
upload, and small helpers more than one test file needs."""

import socket
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import TestCase
from django.utils import timezone

from generations import worker
from generations.models import (
    Generation,
    Status,
    first_frame_name,
    poster_name,
    thumbnail_name,
    video_name,
)
from lib.video import probe_mp4

from .factories_media import jpeg_bytes, make_mp4


class StudioTestCase(TestCase):
    """Alice, who is logged in, and Bob, who must never see her videos."""

    # False for what a visitor meets before logging in: the log-in page, health checks.
    logged_in = True

    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice")
        cls.bob = make_user("bob")

    def setUp(self):
        if self.logged_in:
            self.client.force_login(self.alice)


PASSWORD = "correct horse battery"


def make_user(username: str = "alice", password: str = PASSWORD, **fields):
    """A person of the studio; `is_staff=True` makes them an admin."""
    return get_user_model().objects.create_user(username=username, password=password, **fields)


def make_generation(owner, **fields) -> Generation:
    values = {"prompt": "A paper kite floats above a field.", **fields}
    generation = Generation(owner=owner, **values)
    generation.start()
    generation.save()
    return generation


def make_ready_generation(owner, seconds: float = 1.0, **fields) -> Generation:
    """A finished job with a real MP4 and poster in storage, as the worker leaves it."""
    generation = make_generation(owner, **fields)
    data = make_mp4(320, 180, seconds)
    name = default_storage.save(video_name(), ContentFile(data))
    poster = default_storage.save(poster_name(), ContentFile(jpeg_bytes(320, 180)))
    info = probe_mp4(default_storage.path(name))
    generation.task_id = "task_ready"
    generation.mark_saved(video_name=name, size=len(data), info=info, poster_name=poster)
    generation.save()
    return generation


def with_first_frame(generation: Generation) -> Generation:
    """The job as if it had been made from a picture: a first frame and its thumbnail."""
    generation.first_frame.name = default_storage.save(
        first_frame_name(), ContentFile(jpeg_bytes(128, 72))
    )
    generation.first_frame_thumbnail.name = default_storage.save(
        thumbnail_name(), ContentFile(jpeg_bytes(64, 36))
    )
    generation.first_frame_sha256 = "a" * 64
    generation.save()
    return generation


def valid_data(**overrides) -> dict:
    """The "New video" form as a person fills it in, with `overrides` changed."""
    return {
        "prompt": "A paper kite floats above a wheat field at golden hour.",
        "model": "veo3.1-fast",
        "seconds": "4",
        "size": "1280x720",
        **overrides,
    }


def body(response) -> bytes:
    """What the response carries, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def free_port() -> int:
    """A loopback port nothing listens on, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drive(generation: Generation, *, max_steps: int = 40) -> Generation:
    """Run the worker's steps one after another as if their wait had passed, until the job ends."""
    for _ in range(max_steps):
        generation.refresh_from_db()
        if not generation.is_active:
            return generation
        Generation.objects.filter(pk=generation.pk).update(next_action_at=timezone.now())
        worker.advance(generation.pk)
    generation.refresh_from_db()
    return generation


def step(generation: Generation) -> Generation:
    """Run exactly one due step now."""
    Generation.objects.filter(pk=generation.pk).update(next_action_at=timezone.now())
    worker.advance(generation.pk)
    generation.refresh_from_db()
    return generation


def expire_lease(generation: Generation) -> None:
    """What the clock does to a step whose worker died: the lease runs out."""
    Generation.objects.filter(pk=generation.pk).update(
        next_action_at=timezone.now() - timedelta(minutes=5)
    )


def multipart_body(
    fields: dict[str, str],
    *,
    filename: bytes,
    data: bytes,
    file_field: str = "first_frame",
    file_type: str = "image/png",
) -> tuple[bytes, str]:
    """A multipart/form-data body built by hand, and its Content-Type, so that the file name
    reaches Django byte for byte (the test client passes it through os.path.basename first,
    a browser or a script may not)."""
    boundary = "----veostudio" + uuid.uuid4().hex
    head = f"--{boundary}\r\nContent-Disposition: form-data; name="
    parts = [f'{head}"{name}"\r\n\r\n{value}\r\n'.encode() for name, value in fields.items()]
    parts.append(
        f'{head}"{file_field}"; filename="'.encode()
        + filename
        + f'"\r\nContent-Type: {file_type}\r\n\r\n'.encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


__all__ = ["Status"]


def swaps(response) -> dict[str, str]:
    """The out-of-band swaps of a page poll's answer, by the id of the element each replaces."""
    from harness.harness import poll_swaps

    return poll_swaps(response.content.decode())


def events(response) -> dict:
    """What a page poll's answer tells the page's listeners once its swaps are in."""
    from harness.harness import poll_events

    return poll_events(response)
