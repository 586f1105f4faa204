"""Many videos as one ZIP, streamed: zipstream-ng stores (no compression: MP4 does not
shrink) and so knows the archive's exact size before the first byte, which lets the browser
show real progress, while memory stays at one read buffer whatever the number of videos."""

from collections.abc import Iterator

from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from zipstream import ZipStream

from lib import media

from .models import Generation, Status

CHUNK = 256 * 1024


def _chunks(stored) -> Iterator[bytes]:
    with stored.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def unique_names(generations: list[Generation]) -> list[tuple[Generation, str]]:
    seen: dict[str, int] = {}
    named = []
    for generation in generations:
        name = generation.download_name
        count = seen.get(name, 0) + 1
        seen[name] = count
        if count > 1:
            name = f"{name[: -len('.mp4')]}-{count}.mp4"
        named.append((generation, name))
    return named


def ready_videos(chosen) -> list[Generation]:
    """The videos of `chosen` (already access-checked) that a ZIP can hold."""
    return list(
        chosen.filter(status=Status.READY, trashed_at=None)
        .exclude(video="")
        .only("pk", "prompt", "title", "created_at", "seconds", "size", "video", "video_bytes")
        .order_by("-created_at", "-pk")
    )


def zip_response(ready: list[Generation], request: HttpRequest) -> HttpResponseBase:
    """A streamed ZIP of `ready` (from `ready_videos`, at least one); a 429 page when the
    person already has as many streams going as they may."""

    def build() -> HttpResponseBase:
        archive = ZipStream(sized=True)
        for generation, name in unique_names(ready):
            stored = generation.video
            archive.add(_chunks(stored), name, size=stored.size)
        response = StreamingHttpResponse(archive, content_type="application/zip")
        response["Content-Length"] = str(len(archive))
        response["Content-Disposition"] = (
            f'attachment; filename="veostudio-{len(ready)}-videos.zip"'
        )
        last = archive.last_modified
        if last is not None:
            response["Last-Modified"] = last.strftime("%a, %d %b %Y %H:%M:%S GMT")
        return response

    return media.send(request, build)
