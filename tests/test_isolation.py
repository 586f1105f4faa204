"""Nobody but its owner can see or touch a generation, through any URL, present or future.

The URLs are found by walking the project's resolver, so a view added later is covered
without anyone remembering to add it here.
"""

import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from generations.models import Generation, Status, first_frame_name, thumbnail_name
from tests.factories_media import jpeg_bytes
from tests.helpers import make_ready_generation, make_user

SECRET_PROMPT = "Alice private lighthouse 7f3a"  # nothing HTML would escape
LOGIN_PATH = "/accounts/login/"
_PARAMETER = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>")


def _walk(patterns, prefix="", namespace="", groups=frozenset()):
    """(namespace, name, route, parameter names) for every pattern under `patterns`."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        names = groups | set(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from _walk(entry.url_patterns, route, inner, names)
        elif isinstance(entry, URLPattern):
            yield namespace, entry.name, route, names


def urls_to_guard() -> list[tuple[str, str | None, str, bool]]:
    """(label, URL name, route, takes pk) for every generations URL and every project URL
    that takes a pk, however it is spelt (path converter or regex group)."""
    found = []
    for namespace, name, route, parameters in _walk(get_resolver().url_patterns):
        takes_pk = "pk" in parameters
        if namespace == "generations" or takes_pk:
            qualified = ":".join(filter(None, [namespace, name])) if name else None
            found.append((qualified or route, qualified, route, takes_pk))
    return found


GUARDED = urls_to_guard()


def url_for(name: str | None, route: str, takes_pk: bool, pk) -> str:
    if name:
        # Fails loudly if a future URL needs more than a pk: teach this test about it.
        return reverse(name, kwargs={"pk": pk} if takes_pk else {})
    return "/" + _PARAMETER.sub(str(pk), route)


def _files_of(generation: Generation) -> list[Path]:
    return [Path(settings.MEDIA_ROOT) / f.name for f in generation.stored_files()]


@pytest.fixture
def cast(db):
    alice, bob = make_user("alice"), make_user("bob")
    generation = make_ready_generation(alice, prompt=SECRET_PROMPT)
    generation.first_frame.name = default_storage.save(
        first_frame_name(), ContentFile(jpeg_bytes(128, 72))
    )
    generation.first_frame_thumbnail.name = default_storage.save(
        thumbnail_name(), ContentFile(jpeg_bytes(64, 36))
    )
    generation.save()
    return alice, bob, generation


def test_the_walk_finds_every_url_that_shows_a_generation():
    labels = {label for label, *_ in GUARDED}
    for name in ("detail", "status", "video", "download", "poster", "first_frame"):
        assert f"generations:{name}" in labels
    for name in ("check_again", "submit_again", "delete", "index", "create"):
        assert f"generations:{name}" in labels
    for name in ("star", "restore", "delete_forever", "make_another", "takes"):
        assert f"generations:{name}" in labels
    for name in ("compare", "selection", "zip", "trash"):
        assert f"generations:{name}" in labels


def content_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("label", "name", "route", "takes_pk"), GUARDED, ids=[row[0] for row in GUARDED]
)
def test_only_the_owner_gets_past_any_url(cast, label, name, route, takes_pk, method):
    alice, bob, generation = cast
    url = url_for(name, route, takes_pk, generation.pk)
    files = _files_of(generation)
    assert len(files) == 4

    # Nobody logged in: always the login page, with the way back.
    response = getattr(Client(), method)(url)
    assert response.status_code == 302, f"anonymous {method.upper()} {url}"
    location = urlsplit(response["Location"])
    assert location.path == LOGIN_PATH
    assert parse_qs(location.query)["next"] == [url]

    # Another user gets exactly what a generation that does not exist would get.
    outsider = Client()
    outsider.force_login(bob)
    response = getattr(outsider, method)(url)
    outsider_status = response.status_code
    content = content_of(response)
    assert SECRET_PROMPT.encode() not in content
    assert str(generation.pk).encode() not in content
    if takes_pk:
        nowhere = getattr(outsider, method)(url_for(name, route, True, uuid.uuid4()))
        assert outsider_status == nowhere.status_code
        assert outsider_status in (404, 405), f"bob {method.upper()} {url}"
    else:
        assert outsider_status in (200, 302), f"bob {method.upper()} {url}"

    # Nothing the outsider sent changed alice's job.
    generation.refresh_from_db()
    assert (generation.owner, generation.status) == (alice, Status.READY)
    assert all(path.is_file() for path in files)

    # The owner gets through, so every check above could have failed.
    owner = Client()
    owner.force_login(alice)
    response = getattr(owner, method)(url)
    content = content_of(response)
    if label == "generations:detail":
        assert SECRET_PROMPT.encode() in content  # so its absence above means something
    if response.status_code == 405:
        # A POST-only action refuses GET to everyone alike; its POST case checks the owner.
        assert method == "get"
        assert outsider_status == 405
        return
    assert response.status_code in (200, 206, 302), f"alice {method.upper()} {url}"
    if takes_pk:
        assert outsider_status == 404, f"bob {method.upper()} {url}"
