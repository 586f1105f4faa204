"""Who gets past every URL that takes a generation id, present or future, for three roles:
the owner; a teammate, on a shared and on a private video; and nobody logged in. With
projects: a project's member and a non-member of a limited project, on its videos and on
every URL that takes a project id; an open project's videos are the studio's.

The URLs are found by walking the project's resolver, so a view added later is covered
without anyone remembering to add it here. A new URL counts as owner-only until it is named
below as something a teammate may do; so a new URL that lets a teammate through fails here.
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

from generations.models import (
    Comment,
    Generation,
    Project,
    Status,
    first_frame_name,
    thumbnail_name,
)
from tests.factories_media import jpeg_bytes
from tests.helpers import body, make_ready_generation, make_user

SECRET_PROMPT = "Alice private lighthouse 7f3a"  # nothing HTML would escape
SHARED_PROMPT = "Alice shared harbour 2c9d"
LIMITED_PROMPT = "Alice limited perfume 9b1e"
LIMITED_NAME = "Spring perfume e4d2"
OPEN_PROMPT = "Alice open-project bakery 5a7c"
LOGIN_PATH = "/accounts/login/"
_PARAMETER = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>")
# What differs between any two answers: the CSRF token's mask and the CSP nonce.
_PER_RESPONSE = re.compile(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value="|nonce=")[^"]+')

# What a teammate may do with a video shared with them; everything else is the owner's.
# Reading views answer a POST as a read (the snapshot below proves it changed nothing).
TEAMMATE_MAY_READ = {
    "generations:detail",
    "generations:status",
    "generations:video",
    "generations:download",
    "generations:poster",
    "generations:first_frame",
    "generations:comments",
    "generations:takes",
    "generations:make_another",  # the filled form; the new job is the teammate's own
    "generations:mention_suggestions",  # inbox: whom a comment may @mention
}
TEAMMATE_MAY = {
    "get": TEAMMATE_MAY_READ,
    # use_frame: a shared shot continued into a video of the teammate's own.
    "post": TEAMMATE_MAY_READ
    | {"generations:comments", "generations:star", "generations:use_frame"},
}
# What an admin who sees a video may do beyond a teammate: resolve a comment
# (tests/test_isolation_inbox.py) and decide on it (generations.access.may_decide).
ADMIN_MAY = {"get": set(), "post": {"generations:comment_resolve", "generations:decide"}}


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


def urls_to_guard() -> list[tuple[str, str | None, str, frozenset[str]]]:
    """(label, URL name, route, parameter names) for every generations URL and every
    project URL that takes a pk, however it is spelt (path converter or regex group)."""
    found = []
    for namespace, name, route, parameters in _walk(get_resolver().url_patterns):
        if namespace == "generations" or "pk" in parameters:
            qualified = ":".join(filter(None, [namespace, name])) if name else None
            found.append((qualified or route, qualified, route, frozenset(parameters)))
    return found


GUARDED = urls_to_guard()
# The URLs that take a project id are walked by the project tests below; the rest here.
PROJECT_URLS = [row for row in GUARDED if "project_pk" in row[3]]
VIDEO_URLS = [row for row in GUARDED if "project_pk" not in row[3]]
# What anyone who sees a project may do there; changing it is its maker's and the admins'.
PROJECT_MEMBER_MAY = {"get": {"generations:project"}, "post": {"generations:project"}}


def url_for(name: str | None, route: str, parameters: frozenset[str], values: dict) -> str:
    # Fails loudly if a future URL needs a parameter `values` lacks: teach this test about it.
    kwargs = {key: values[key] for key in parameters}
    if name:
        return reverse(name, kwargs=kwargs)
    return "/" + _PARAMETER.sub(lambda m: str(kwargs[m.group("name")]), route)


def _files_of(generation: Generation) -> list[Path]:
    return [Path(settings.MEDIA_ROOT) / f.name for f in generation.stored_files()]


def _video(owner, prompt: str) -> Generation:
    generation = make_ready_generation(owner, prompt=prompt)
    generation.first_frame.name = default_storage.save(
        first_frame_name(), ContentFile(jpeg_bytes(128, 72))
    )
    generation.first_frame_thumbnail.name = default_storage.save(
        thumbnail_name(), ContentFile(jpeg_bytes(64, 36))
    )
    generation.save()
    Comment.objects.create(
        generation=generation, author=owner, body=f"{prompt} note", at_seconds=0.5
    )
    return generation


@pytest.fixture
def cast(db):
    alice, bob = make_user("alice"), make_user("bob")
    shared = _video(alice, SHARED_PROMPT)
    shared.share_for(alice)
    private = _video(alice, SECRET_PROMPT)
    return alice, bob, shared, private


def values_for(generation: Generation) -> dict:
    return {"pk": generation.pk, "comment_pk": generation.comments.get().pk}


def nowhere_values() -> dict:
    return {"pk": uuid.uuid4(), "comment_pk": 10**9}


def snapshot(generation: Generation) -> tuple:
    generation.refresh_from_db()
    return (
        generation.owner_id,
        generation.status,
        generation.shared_at,
        generation.events.count(),
        list(generation.comments.values_list("pk", "author_id", "body", "at_seconds")),
        [path.is_file() for path in _files_of(generation)],
    )


def test_the_walk_finds_every_url_that_shows_a_generation():
    labels = {label for label, *_ in GUARDED}
    for name in ("detail", "status", "video", "download", "poster", "first_frame", "comments"):
        assert f"generations:{name}" in labels
    for name in ("check_again", "submit_again", "delete", "share", "unshare", "comment_edit"):
        assert f"generations:{name}" in labels
    for name in ("index", "create", "team", "studio_settings", "share_many"):
        assert f"generations:{name}" in labels
    for name in ("star", "restore", "delete_forever", "make_another", "takes"):
        assert f"generations:{name}" in labels
    for name in ("compare", "selection", "zip", "trash", "move", "projects"):
        assert f"generations:{name}" in labels
    for name in ("project", "project_edit", "project_archive", "project_restore"):
        assert f"generations:{name}" in {label for label, *_ in PROJECT_URLS}


def test_every_url_a_teammate_may_use_exists():
    labels = {label for label, *_ in GUARDED}
    assert TEAMMATE_MAY["get"] | TEAMMATE_MAY["post"] <= labels


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def projects_cast(cast):
    """Alice's video in an open project, and one in a project an admin limited to Carol;
    Bob is in the studio but not among the limited project's people."""
    alice, bob, shared, private = cast
    admin, carol = make_user("boss", is_staff=True), make_user("carol")
    open_project = Project.objects.create(name="Bakery", created_by=alice)
    limited = Project.objects.create(name=LIMITED_NAME, created_by=admin)
    limited.set_people(True, [carol])
    in_open = _video(alice, OPEN_PROMPT)
    in_open.move_for(alice, open_project)
    in_limited = _video(alice, LIMITED_PROMPT)
    in_limited.share_for(alice)  # shared before: the project's limit still wins
    in_limited.move_for(alice, limited)
    return alice, bob, carol, admin, open_project, limited, in_open, in_limited


def _teammate_walk(client, who, method, label, name, route, parameters, video, may):
    """`client` on `video` at one URL: through where a teammate may go when `may`, else
    exactly what a video that does not exist gets; the video unchanged either way."""
    before = snapshot(video)
    url = url_for(name, route, parameters, values_for(video))
    response = getattr(client, method)(url)
    content = body(response)
    allowed = TEAMMATE_MAY[method] | (ADMIN_MAY[method] if who == "an admin" else set())
    if may and label in allowed:
        assert response.status_code in (200, 206, 302, 400), f"{who} {method.upper()} {url}"
        if label == "generations:detail":
            assert video.prompt.encode() in content
    else:
        nowhere = getattr(client, method)(url_for(name, route, parameters, nowhere_values()))
        assert response.status_code == nowhere.status_code, f"{who} {method.upper()} {url}"
        assert response.status_code in (404, 405), f"{who} {method.upper()} {url}"
        assert _PER_RESPONSE.sub(b"", content) == _PER_RESPONSE.sub(b"", body(nowhere))
    if not may:
        assert video.prompt.encode() not in content
        assert LIMITED_NAME.encode() not in content
    assert snapshot(video) == before, f"{who} changed alice's video at {url}"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("label", "name", "route", "parameters"), VIDEO_URLS, ids=[row[0] for row in VIDEO_URLS]
)
def test_projects_share_their_videos_with_their_people_only(
    projects_cast, label, name, route, parameters, method
):
    alice, bob, carol, admin, open_project, limited, in_open, in_limited = projects_cast
    if "pk" not in parameters:
        # Pages without a video id (the galleries, the Team view, the projects list…):
        # nothing of the limited project reaches Bob.
        response = getattr(logged_in(bob), method)(url_for(name, route, parameters, {}))
        assert LIMITED_PROMPT.encode() not in body(response)
        assert LIMITED_NAME.encode() not in body(response)
        assert response.status_code in (200, 204, 286, 302, 403, 405), f"bob {method.upper()}"
        return
    for video in (in_open, in_limited):
        url = url_for(name, route, parameters, values_for(video))
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, f"anonymous {method.upper()} {url}"
        assert urlsplit(response["Location"]).path == LOGIN_PATH
    member, outsider = logged_in(carol), logged_in(bob)
    walk = (method, label, name, route, parameters)
    _teammate_walk(member, "carol (member)", *walk, in_limited, may=True)
    _teammate_walk(logged_in(admin), "an admin", *walk, in_limited, may=True)
    _teammate_walk(outsider, "bob (not a member)", *walk, in_limited, may=False)
    _teammate_walk(outsider, "bob (open project)", *walk, in_open, may=True)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("label", "name", "route", "parameters"), PROJECT_URLS, ids=[row[0] for row in PROJECT_URLS]
)
def test_each_role_gets_exactly_its_due_at_any_project_url(
    projects_cast, label, name, route, parameters, method
):
    alice, bob, carol, admin, open_project, limited, in_open, in_limited = projects_cast

    def at(project) -> str:
        return url_for(name, route, parameters, {"project_pk": project.pk})

    def state(project) -> tuple:
        project.refresh_from_db()
        return (project.name, project.archived_at, project.limited, project.updated_at)

    nowhere_url = url_for(name, route, parameters, {"project_pk": 10**9})
    for project in (open_project, limited):
        response = getattr(Client(), method)(at(project))
        assert response.status_code == 302, f"anonymous {method.upper()} {at(project)}"
        assert parse_qs(urlsplit(response["Location"]).query)["next"] == [at(project)]

    # Bob, not among the limited project's people: exactly what no project gets.
    before = state(limited)
    outsider = logged_in(bob)
    response = getattr(outsider, method)(at(limited))
    nowhere = getattr(outsider, method)(nowhere_url)
    assert response.status_code == nowhere.status_code
    assert response.status_code in (404, 405), f"bob {method.upper()} {at(limited)}"
    assert _PER_RESPONSE.sub(b"", body(response)) == _PER_RESPONSE.sub(b"", body(nowhere))
    assert LIMITED_NAME.encode() not in body(response)
    assert state(limited) == before

    # Carol (a member) and Bob (on the open project) see the project; only its maker and
    # the admins change it.
    for client, who, project, video in (
        (logged_in(carol), "carol", limited, in_limited),
        (outsider, "bob", open_project, in_open),
    ):
        before = state(project)
        response = getattr(client, method)(at(project))
        if label in PROJECT_MEMBER_MAY[method]:
            assert response.status_code == 200, f"{who} {method.upper()} {at(project)}"
            assert video.prompt.encode() in body(response)
        else:
            nowhere = getattr(client, method)(nowhere_url)
            assert response.status_code == nowhere.status_code, f"{who} {method.upper()}"
            assert response.status_code in (404, 405)
        assert state(project) == before, f"{who} changed {project.name}"

    # Its maker (Alice, the open project) and an admin (the limited one) get through.
    for client, project in ((logged_in(alice), open_project), (logged_in(admin), limited)):
        response = getattr(client, method)(at(project))
        if response.status_code == 405:
            assert method == "get"
            continue
        assert response.status_code in (200, 302), f"{method.upper()} {at(project)}"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("label", "name", "route", "parameters"), VIDEO_URLS, ids=[row[0] for row in VIDEO_URLS]
)
def test_each_role_gets_exactly_its_due_at_any_url(cast, label, name, route, parameters, method):
    alice, bob, shared, private = cast
    takes_pk = "pk" in parameters
    assert len(_files_of(shared)) == len(_files_of(private)) == 4

    # Nobody logged in: always the login page, with the way back.
    for generation in (shared, private):
        url = url_for(name, route, parameters, values_for(generation))
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, f"anonymous {method.upper()} {url}"
        location = urlsplit(response["Location"])
        assert location.path == LOGIN_PATH
        assert parse_qs(location.query)["next"] == [url]

    teammate = logged_in(bob)
    if not takes_pk:
        url = url_for(name, route, parameters, {})
        response = getattr(teammate, method)(url)
        assert SECRET_PROMPT.encode() not in body(response)
        assert response.status_code in (
            200,
            204,
            286,
            302,
            403,
            405,
        )  # 204 and 286: the poll, nothing to say / nothing runs, f"bob {method.upper()} {url}"
        assert snapshot(private)[:4] == (alice.pk, Status.READY, None, private.events.count())
        return

    # A teammate on a private video gets exactly what a video that does not exist gets.
    before = snapshot(private)
    url = url_for(name, route, parameters, values_for(private))
    response = getattr(teammate, method)(url)
    private_status, content = response.status_code, body(response)
    nowhere = getattr(teammate, method)(url_for(name, route, parameters, nowhere_values()))
    assert private_status == nowhere.status_code
    assert private_status in (404, 405), f"bob {method.upper()} {url} (private)"
    assert SECRET_PROMPT.encode() not in content
    assert str(private.pk).encode() not in content
    assert _PER_RESPONSE.sub(b"", content) == _PER_RESPONSE.sub(b"", body(nowhere))
    assert snapshot(private) == before, "bob changed alice's private video"

    # A teammate on a shared video: through for watching and talking, 404 for the rest.
    before = snapshot(shared)
    url = url_for(name, route, parameters, values_for(shared))
    response = getattr(teammate, method)(url)
    content = body(response)
    assert SECRET_PROMPT.encode() not in content
    if label in TEAMMATE_MAY[method]:
        assert response.status_code in (200, 206, 302, 400), f"bob {method.upper()} {url}"
        if label == "generations:detail":
            assert SHARED_PROMPT.encode() in content
    else:
        nowhere = getattr(teammate, method)(url_for(name, route, parameters, nowhere_values()))
        assert response.status_code == nowhere.status_code, f"bob {method.upper()} {url}"
        assert response.status_code in (404, 405), f"bob {method.upper()} {url} (shared)"
    # An empty POST is not a comment: whatever bob sent, nothing of alice's changed.
    assert snapshot(shared) == before, "bob changed alice's shared video"

    # The owner gets through on both, so every check above could have failed.
    owner = logged_in(alice)
    for generation, prompt in ((private, SECRET_PROMPT), (shared, SHARED_PROMPT)):
        url = url_for(name, route, parameters, values_for(generation))
        response = getattr(owner, method)(url)
        if label == "generations:detail":
            assert prompt.encode() in body(response)  # so its absence means something
        if response.status_code == 405:
            # A POST-only action refuses GET to everyone alike; its POST case checks the owner.
            assert method == "get"
            continue
        assert response.status_code in (200, 206, 302, 400), f"alice {method.upper()} {url}"
