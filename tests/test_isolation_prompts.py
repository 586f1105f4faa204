"""Every URL of the prompts app, found by walking the resolver (so a view added later is
covered): nobody logged in is sent to log in; a person who may not see a preset (someone
else's personal one, or one of a limited project they are not in) gets exactly what a preset
that does not exist gets, and changes nothing; a style block or a preset they may see but not
change is 404 at its changing URLs, too."""

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from generations.models import Project
from prompts.models import Preset, Scope, StyleBlock
from tests.helpers import body, make_user
from tests.test_isolation import _PER_RESPONSE, LOGIN_PATH, _walk, url_for

SECRET = "Bob private preset 3e9d"
LIMITED = "Launch preset 8f1c"
BLOCK = "Bob's block 6a2b"


def prompts_urls():
    return [
        (f"prompts:{name}", route, frozenset(parameters))
        for namespace, name, route, parameters in _walk(get_resolver().url_patterns)
        if namespace == "prompts"
    ]


URLS = prompts_urls()
# What someone who sees a preset (but does not own it) may do with it.
VIEWER_MAY = {"prompts:use", "prompts:fill", "prompts:duplicate"}


@pytest.fixture
def cast(db):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    admin = make_user("boss", is_staff=True)
    limited = Project.objects.create(name="Launch", created_by=admin)
    limited.set_people(True, [carol])
    private = Preset.objects.create(owner=bob, name=SECRET, prompt=f"{SECRET} {{product}}")
    in_limited = Preset.objects.create(
        owner=carol, name=LIMITED, prompt=LIMITED, scope=Scope.PROJECT, project=limited
    )
    team = Preset.objects.create(owner=bob, name="Team", prompt="Team {x}", scope=Scope.TEAM)
    block = StyleBlock.objects.create(name=BLOCK, text="moody", created_by=bob)
    return alice, bob, carol, private, in_limited, team, block


def state():
    return (
        sorted(Preset.objects.values_list("pk", "name", "prompt", "owner_id", "scope")),
        sorted(StyleBlock.objects.values_list("pk", "name", "text")),
    )


def values(preset, block) -> dict:
    return {"preset_pk": preset.pk, "block_pk": block.pk}


def test_the_walk_finds_every_prompts_url():
    names = {name for name, *_ in URLS}
    for name in ("library", "save", "improve", "settings", "edit", "duplicate", "delete"):
        assert f"prompts:{name}" in names
    for name in ("use", "fill", "block_add", "block_edit", "block_delete"):
        assert f"prompts:{name}" in names


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "route", "parameters"), URLS, ids=[row[0] for row in URLS])
def test_each_person_gets_exactly_their_due_at_any_prompts_url(
    cast, name, route, parameters, method
):
    alice, bob, carol, private, in_limited, team, block = cast
    url = url_for(name, route, parameters, values(private, block))
    response = getattr(Client(), method)(url)
    assert response.status_code == 302, f"anonymous {method.upper()} {url}"
    assert response["Location"].startswith(LOGIN_PATH)

    client = Client()
    client.force_login(alice)
    before = state()
    if not parameters:
        response = getattr(client, method)(url)
        assert response.status_code in (200, 302, 403, 405), f"alice {method.upper()} {url}"
        assert SECRET.encode() not in body(response)
        assert LIMITED.encode() not in body(response)
        return
    nowhere = getattr(client, method)(
        url_for(name, route, parameters, {"preset_pk": 10**9, "block_pk": 10**9})
    )
    for preset in (private, in_limited):
        response = getattr(client, method)(url_for(name, route, parameters, values(preset, block)))
        if "block_pk" in parameters:
            assert response.status_code in (404, 405)  # bob's block: only bob or an admin
        assert response.status_code == nowhere.status_code, f"alice {method.upper()} {url}"
        assert response.status_code in (404, 405), f"alice {method.upper()} {url}"
        assert _PER_RESPONSE.sub(b"", body(response)) == _PER_RESPONSE.sub(b"", body(nowhere))
        assert SECRET.encode() not in body(response) and LIMITED.encode() not in body(response)
    assert state() == before, f"alice changed something at {url}"

    # The team's preset: alice may use and copy it; changing it is bob's (or an admin's).
    if "preset_pk" in parameters:
        response = getattr(client, method)(url_for(name, route, parameters, values(team, block)))
        if name in VIEWER_MAY and method == "post":
            assert response.status_code in (200, 302)
        else:
            assert response.status_code in (404, 405)

    # The owners get through, so the 404s above mean something.
    for owner, preset in ((bob, private), (carol, in_limited)):
        mine = Client()
        mine.force_login(owner)
        response = getattr(mine, method)(url_for(name, route, parameters, values(preset, block)))
        if response.status_code == 405:
            assert method == "get"
            continue
        if "block_pk" in parameters and owner != bob:
            continue
        assert response.status_code in (200, 302), f"{owner} {method.upper()} {url}"


def test_the_library_of_an_outsider_never_names_others_presets(cast):
    alice, *_ = cast
    client = Client()
    client.force_login(alice)
    page = client.get(reverse("prompts:library")).content
    assert SECRET.encode() not in page and LIMITED.encode() not in page
    assert b"Team" in page
