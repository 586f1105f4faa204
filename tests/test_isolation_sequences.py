"""Who gets past every sequences URL, present or future (the resolver is walked): Alice's
personal sequence and one in a project limited to Carol answer Bob exactly as a sequence
that does not exist does, change nothing, and show nothing of their shots or export; Carol
sees the limited project's sequence; nobody logged in is sent to the log-in page. A
video's "Add to sequence" page answers 404 to whoever may not see the video."""

import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import get_resolver

from generations.models import Project
from sequences.models import Export, ExportStatus, Sequence
from tests.factories_media import make_mp4
from tests.helpers import body, make_ready_generation, make_user
from tests.test_isolation import _PER_RESPONSE, _walk, url_for

SECRET = "Alice secret storyboard 31ab"
SECRET_SHOT = "Alice secret shot 8c2f"

SEQUENCE_URLS = [
    (":".join([namespace, name]), route, frozenset(parameters))
    for namespace, name, route, parameters in _walk(get_resolver().url_patterns)
    if namespace == "sequences" and parameters
]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sequence(owner, video, project=None) -> Sequence:
    sequence = Sequence.objects.create(owner=owner, title=SECRET, project=project)
    sequence.add_video(video)
    # A finished export, as the worker leaves it (the export itself is test_sequences_export's).
    Export.objects.create(
        sequence=sequence,
        requested_by=owner,
        version=sequence.version,
        transition=sequence.transition,
        size=sequence.size,
        status=ExportStatus.READY,
        file=default_storage.save("exports/isolation.mp4", ContentFile(make_mp4(64, 36, 0.5))),
        progress=100,
        videos=[str(video.pk)],
    )
    return sequence


@pytest.fixture
def cast(db):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    admin = make_user("boss", is_staff=True)
    limited = Project.objects.create(name="Limited 77", created_by=admin)
    limited.set_people(True, [carol])
    private = make_ready_generation(alice, prompt=SECRET_SHOT)
    personal = _sequence(alice, private)
    in_project = make_ready_generation(alice, prompt=SECRET_SHOT + " project")
    in_project.move_for(alice, limited)
    project_sequence = _sequence(alice, in_project, limited)
    return alice, bob, carol, private, personal, project_sequence


def values_for(sequence: Sequence) -> dict:
    export = Export.objects.get(sequence=sequence)
    return {
        "sequence_pk": sequence.pk,
        "shot_pk": sequence.shots.get().pk,
        "export_pk": export.pk,
        "video_pk": sequence.shots.get().generation_id,
    }


def nowhere() -> dict:
    return {"sequence_pk": 10**9, "shot_pk": 10**9, "export_pk": 10**9, "video_pk": uuid.uuid4()}


def snapshot(sequence: Sequence) -> tuple:
    sequence.refresh_from_db()
    export = Export.objects.get(sequence=sequence)
    return (
        sequence.version,
        sequence.title,
        list(sequence.shots.values_list("pk", "position", "generation_id", "state")),
        export.status,
        export.file.storage.exists(export.file.name),
    )


def test_the_walk_finds_every_sequence_url():
    names = {name for name, *_ in SEQUENCE_URLS}
    for name in (
        "detail",
        "shots",
        "move",
        "remove",
        "reorder",
        "plan",
        "generate",
        "transition",
        "export",
        "export_status",
        "export_video",
        "export_download",
        "delete",
        "add_video",
    ):
        assert f"sequences:{name}" in names


def _same_as_nowhere(client, method, name, route, parameters, sequence):
    before = snapshot(sequence)
    url = url_for(name, route, parameters, values_for(sequence))
    response = getattr(client, method)(url)
    missing = getattr(client, method)(url_for(name, route, parameters, nowhere()))
    content = body(response)
    assert response.status_code == missing.status_code, (method, url)
    assert response.status_code in (404, 405), (method, url, response.status_code)
    assert SECRET.encode() not in content and SECRET_SHOT.encode() not in content
    assert _PER_RESPONSE.sub(b"", content) == _PER_RESPONSE.sub(b"", body(missing))
    assert snapshot(sequence) == before, (method, url)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "route", "parameters"), SEQUENCE_URLS)
def test_another_person_meets_a_personal_sequence_as_if_it_did_not_exist(
    cast, method, name, route, parameters
):
    alice, bob, carol, private, personal, project_sequence = cast
    _same_as_nowhere(logged_in(bob), method, name, route, parameters, personal)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "route", "parameters"), SEQUENCE_URLS)
def test_someone_outside_a_limited_project_meets_its_sequence_as_if_it_did_not_exist(
    cast, method, name, route, parameters
):
    alice, bob, carol, private, personal, project_sequence = cast
    _same_as_nowhere(logged_in(bob), method, name, route, parameters, project_sequence)


@pytest.mark.parametrize(("name", "route", "parameters"), SEQUENCE_URLS)
def test_nobody_logged_in_is_sent_to_log_in(cast, name, route, parameters):
    alice, bob, carol, private, personal, project_sequence = cast
    before = snapshot(personal)
    response = Client().get(url_for(name, route, parameters, values_for(personal)))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert snapshot(personal) == before


def test_the_project_people_see_and_play_its_sequence_and_export(cast):
    alice, bob, carol, private, personal, project_sequence = cast
    client = logged_in(carol)
    page = client.get(project_sequence.get_absolute_url())
    assert page.status_code == 200
    assert SECRET_SHOT.encode() in page.content
    values = values_for(project_sequence)
    video = client.get(
        f"/sequences/{values['sequence_pk']}/exports/{values['export_pk']}/video.mp4"
    )
    assert video.status_code == 200
    # Carol sees her project's sequence, never Alice's personal one.
    assert client.get(personal.get_absolute_url()).status_code == 404
    assert SECRET.encode() in client.get("/sequences/").content
    listing = logged_in(bob).get("/sequences/").content
    assert SECRET.encode() not in listing


def test_the_owner_reaches_her_own(cast):
    alice, bob, carol, private, personal, project_sequence = cast
    client = logged_in(alice)
    assert client.get(personal.get_absolute_url()).status_code == 200
    assert client.get(f"/videos/{private.pk}/add-to-sequence/").status_code == 200
