"""A batch is its maker's only: every batches URL that takes a batch (found by walking the
resolver, so a URL added later is covered) answers Bob on Alice's batch exactly as it
answers a batch that does not exist (404, or 405 to everyone alike), changes nothing of
hers, and sends a visitor to the log-in page; Alice herself gets through."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import get_resolver

from batches.models import Batch
from batches.sheet import read_text
from generations.models import Generation, Project
from tests.helpers import body, make_user
from tests.test_isolation import _PER_RESPONSE, LOGIN_PATH, _walk, url_for

SECRET = "Alice batch lighthouse 81c2"
BATCH_URLS = [
    (f"{namespace}:{name}", route, frozenset(parameters))
    for namespace, name, route, parameters in _walk(get_resolver().url_patterns)
    if namespace == "batches" and "batch_pk" in parameters
]


def test_the_walk_finds_the_batch_urls():
    names = {name for name, _, _ in BATCH_URLS}
    assert {"batches:plan", "batches:generate", "batches:row_edit", "batches:videos"} <= names


@pytest.fixture
def cast(db):
    alice, bob = make_user("alice"), make_user("bob")
    draft = Batch.from_sheet(alice, read_text(f"prompt,title\n{SECRET},Secret\n"), "alice.csv")
    made = Batch.from_sheet(alice, read_text(f"prompt\n{SECRET} made\n"), "made.csv")
    made.generate_for(alice)
    return alice, bob, draft, made


def snapshot(batch: Batch) -> tuple:
    batch.refresh_from_db()
    return (
        batch.owner_id,
        batch.project_id,
        batch.generated_at,
        list(batch.rows.values_list("pk", "prompt", "title", "reason")),
        Generation.objects.count(),
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def values(batch: Batch) -> dict:
    return {"batch_pk": batch.pk, "row_pk": batch.rows.first().pk}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("name", "route", "parameters"), BATCH_URLS, ids=[u[0] for u in BATCH_URLS]
)
def test_only_the_maker_gets_past_any_batch_url(cast, name, route, parameters, method):
    alice, bob, draft, made = cast
    project = Project.objects.create(name="Bob's", created_by=bob)
    for batch in (draft, made):
        url = url_for(name, route, parameters, values(batch))
        response = getattr(Client(), method)(url)
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert (location.path, parse_qs(location.query)["next"]) == (LOGIN_PATH, [url])

        before = snapshot(batch)
        teammate = logged_in(bob)
        data = {"prompt": "Bob was here", "title": "Bob", "project": project.pk}
        answer = getattr(teammate, method)(url, data)
        nowhere = getattr(teammate, method)(
            url_for(name, route, parameters, {"batch_pk": 10**9, "row_pk": 10**9}), data
        )
        assert answer.status_code == nowhere.status_code, f"bob {method.upper()} {url}"
        assert answer.status_code in (404, 405), f"bob {method.upper()} {url}"
        content = body(answer)
        assert SECRET.encode() not in content
        assert _PER_RESPONSE.sub(b"", content) == _PER_RESPONSE.sub(b"", body(nowhere))
        assert snapshot(batch) == before, f"bob changed alice's batch at {url}"

        if method == "post" and name in ("batches:delete", "batches:row_remove"):
            continue  # alice deleting her own draft is the plan tests' story
        answer = getattr(logged_in(alice), method)(url)
        if answer.status_code == 405:
            assert method == "get"
            continue
        assert answer.status_code in (200, 302), f"alice {method.upper()} {url}"


def test_the_batches_page_lists_only_the_person_s_own(cast):
    alice, bob, draft, made = cast
    assert b"alice.csv" not in logged_in(bob).get("/batches/").content
    assert b"alice.csv" in logged_in(alice).get("/batches/").content
