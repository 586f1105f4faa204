"""The isolation walk with a reviewer: at every URL that takes a video or a project id (and
every page of the generations app), a reviewer gets through only to watch, download, star
and comment; everywhere else she gets exactly what a video or project that does not exist
gets (or the reviewers' 403 where a page makes videos), and nothing changes: not a
teammate's video, not her own video from when she was a member, not a project she made.

The URLs come from tests/test_isolation.py's walk of the resolver, so a URL added later is
covered here too, and counts as forbidden to a reviewer until named below.
"""

import pytest

from billing.models import LedgerEntry
from generations.models import Comment, Generation, Project, Role, Teammate
from tests.test_isolation import (
    _PER_RESPONSE,
    PROJECT_URLS,
    SHARED_PROMPT,
    TEAMMATE_MAY_READ,
    VIDEO_URLS,
    _video,
    logged_in,
    nowhere_values,
    snapshot,
    url_for,
    values_for,
)

from .helpers import body, make_user

HER_PROMPT = "Rita take from her member days 3e8a"  # nothing HTML would escape
LIMITED_NAME = "Board only 51c0"

# What a reviewer may do with a video she sees: a teammate's reading, less "make another".
REVIEWER_MAY_READ = TEAMMATE_MAY_READ - {"generations:make_another"}
REVIEWER_MAY = {
    "get": REVIEWER_MAY_READ,
    "post": REVIEWER_MAY_READ
    | {
        "generations:comments",
        "generations:star",
        "generations:decide",
    },
}
# The doors that make a video: a reviewer is told why in the studio's friendly 403.
REVIEWER_403 = {
    "generations:create",
    "generations:make_another",
    "generations:first_frame_preview",
    "generations:use_frame",
}


@pytest.fixture
def reviewer_cast(db):
    alice, rita = make_user("alice"), make_user("rita")
    admin = make_user("boss", is_staff=True)
    shared = _video(alice, SHARED_PROMPT)
    shared.share_for(alice)
    hers = _video(rita, HER_PROMPT)
    # Her video's comment is alice's (the walk's comment URLs are about someone else's).
    Comment.objects.filter(generation=hers).update(author=alice)
    her_project = Project.objects.create(name="Rita's old project", created_by=rita)
    open_project = Project.objects.create(name="Bakery", created_by=alice)
    limited = Project.objects.create(name=LIMITED_NAME, created_by=admin)
    limited.set_people(True, [alice])
    Teammate.set_role(rita, Role.REVIEWER)
    return alice, rita, shared, hers, her_project, open_project, limited


def _world() -> tuple:
    return (
        Generation.objects.count(),
        Project.objects.count(),
        LedgerEntry.objects.count(),
        list(Project.objects.order_by("pk").values_list("name", "archived_at", "updated_at")),
    )


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("label", "name", "route", "parameters"), VIDEO_URLS, ids=[row[0] for row in VIDEO_URLS]
)
def test_a_reviewer_only_watches_and_talks_at_any_url(
    reviewer_cast, label, name, route, parameters, method
):
    alice, rita, shared, hers, *_ = reviewer_cast
    client = logged_in(rita)
    world = _world()
    if "pk" not in parameters:
        response = getattr(client, method)(url_for(name, route, parameters, {}))
        if label in REVIEWER_403:
            assert response.status_code == 403, f"rita {method.upper()} {label}"
            assert b"Reviewers watch and comment" in body(response)
        else:
            assert response.status_code in (200, 204, 286, 302, 403, 405), f"rita {method.upper()}"
        assert _world() == world, f"rita changed something at {label}"
        return

    for video, whose in ((shared, "alice's shared video"), (hers, "her own old video")):
        before = snapshot(video)
        url = url_for(name, route, parameters, values_for(video))
        response = getattr(client, method)(url)
        her_comment = rita.pk in (video.comments.get().author_id, video.owner_id)
        if label in REVIEWER_MAY[method] or (
            # A comment she wrote, or on her own old video: she may mark it resolved.
            label == "generations:comment_resolve" and method == "post" and her_comment
        ):
            assert response.status_code in (200, 206, 302, 400), f"{method.upper()} {url}"
            if label == "generations:detail":
                assert video.prompt.encode() in body(response)
        elif label in REVIEWER_403:
            assert response.status_code == 403, f"rita {method.upper()} {url} ({whose})"
        else:
            nowhere = getattr(client, method)(url_for(name, route, parameters, nowhere_values()))
            assert response.status_code == nowhere.status_code, f"{method.upper()} {url}"
            assert response.status_code in (404, 405), f"rita {method.upper()} {url} ({whose})"
            assert _PER_RESPONSE.sub(b"", body(response)) == _PER_RESPONSE.sub(b"", body(nowhere))
        assert snapshot(video) == before, f"rita changed {whose} at {url}"
        assert _world() == world


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("label", "name", "route", "parameters"), PROJECT_URLS, ids=[row[0] for row in PROJECT_URLS]
)
def test_a_reviewer_opens_projects_she_sees_and_changes_none(
    reviewer_cast, label, name, route, parameters, method
):
    alice, rita, shared, hers, her_project, open_project, limited = reviewer_cast
    client = logged_in(rita)
    world = _world()
    nowhere = getattr(client, method)(url_for(name, route, parameters, {"project_pk": 10**9}))
    for project in (her_project, open_project, limited):
        url = url_for(name, route, parameters, {"project_pk": project.pk})
        response = getattr(client, method)(url)
        if label == "generations:project" and project != limited:
            assert response.status_code == 200, f"rita {method.upper()} {url}"
            assert b"Save budget" not in body(response)
            assert b"Edit project" not in body(response)
        else:
            assert response.status_code == nowhere.status_code, f"rita {method.upper()} {url}"
            assert response.status_code in (404, 405)
            assert LIMITED_NAME.encode() not in body(response)
        assert _world() == world, f"rita changed {project.name} at {url}"
