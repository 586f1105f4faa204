"""The isolation walk's guest role: a visitor whose session opened a review link (password
given, name chosen, a comment written) is, to every studio URL, exactly an anonymous
visitor; and every link URL answers 404, with the same plain page, for another link's
token, an expired one, a revoked one, a made-up one, or a video outside the link.

The studio's URLs are found by walking the resolver (tests/test_isolation.py's walk), so a
URL added later is covered without anyone remembering to add it here.
"""

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from generations.models import Comment, Project
from reviewlinks.models import ReviewLink
from tests.helpers import body, make_ready_generation, make_user
from tests.reviewlinks_guest import Guest
from tests.test_isolation import _walk, url_for

IN_LINK = "Lighthouse at dusk, in the link 51ab"
OUTSIDE = "Private bakery draft, outside 8c2e"
GONE = b"This link is no longer available"
PASSWORD = "maison-lune"


def _routes():
    studio, guest = [], []
    for namespace, name, route, parameters in _walk(get_resolver().url_patterns):
        qualified = ":".join(filter(None, [namespace, name])) if name else None
        row = (qualified or route, qualified, route, frozenset(parameters))
        if namespace == "reviewlinks" and "token" in parameters:
            guest.append(row)
        elif namespace == "admin" and parameters:
            continue  # the admin's own views of every model: its login door is the index's
        else:
            studio.append(row)
    return studio, guest


STUDIO_URLS, GUEST_URLS = _routes()


def _link(owner, videos, *, password="", **fields) -> tuple[ReviewLink, str]:
    return ReviewLink.create_for(
        owner, name="Round 2", days=30, password=password, videos=videos, **fields
    )


@pytest.fixture
def links(db):
    alice = make_user("alice")
    inside = make_ready_generation(alice, prompt=IN_LINK)
    outside = make_ready_generation(alice, prompt=OUTSIDE)
    outside.share_for(alice)
    project = Project.objects.create(name="Maison Lune", created_by=alice)
    link, token = _link(alice, [inside], password=PASSWORD, allow_download=True)
    other, other_token = _link(alice, [outside], password="another-secret", allow_download=True)
    expired, expired_token = _link(alice, [inside], allow_download=True)
    ReviewLink.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    revoked, revoked_token = _link(alice, [inside], allow_download=True)
    revoked.revoke_for(alice)

    guest = Guest()
    assert guest.post(f"/l/{token}/", {"password": PASSWORD}).status_code == 302
    guest.get(f"/l/{token}/")
    guest.post(f"/l/{token}/name/", {"name": "Claire (client)"})
    guest.post(f"/l/{token}/v/{inside.pk}/comment/", {"body": "Warmer, please"})
    comment = Comment.objects.get()
    return {
        "alice": alice,
        "guest": guest,
        "inside": inside,
        "outside": outside,
        "values": {
            "pk": inside.pk,
            "comment_pk": comment.pk,
            "project_pk": project.pk,
            "link_pk": link.pk,
            "user_id": alice.pk,
            "entry_id": 1,
            "uidb64": "MQ",
            "token": "set-password-token",
            # The other apps' rows: a guest is sent to log in before any is looked up.
            **dict.fromkeys(
                ("batch_pk", "block_pk", "export_pk", "notification_pk", "preset_pk"), 1
            ),
            **dict.fromkeys(("row_pk", "sequence_pk", "shot_pk"), 1),
            "video_pk": inside.pk,
        },
        "token": token,
        "other_token": other_token,
        "expired_token": expired_token,
        "revoked_token": revoked_token,
    }


def test_the_walk_finds_the_studio_and_every_guest_url():
    names = {row[1] for row in STUDIO_URLS}
    assert {"generations:detail", "generations:video", "reviewlinks:index"} <= names
    assert {row[1] for row in GUEST_URLS} == {
        "reviewlinks:guest",
        "reviewlinks:guest_name",
        "reviewlinks:guest_zip",
        "reviewlinks:guest_video",
        "reviewlinks:guest_poster",
        "reviewlinks:guest_download",
        "reviewlinks:guest_comment",
        "reviewlinks:guest_decide",
    }


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("label", "name", "route", "parameters"), STUDIO_URLS, ids=[row[0] for row in STUDIO_URLS]
)
def test_a_guest_is_an_anonymous_visitor_at_every_studio_url(
    links, label, name, route, parameters, method
):
    url = url_for(name, route, parameters, links["values"])
    as_guest = getattr(links["guest"], method)(url)
    as_anonymous = getattr(Client(), method)(url)
    assert as_guest.status_code == as_anonymous.status_code, f"guest {method.upper()} {url}"
    assert as_guest.get("Location") == as_anonymous.get("Location"), url
    assert IN_LINK.encode() not in body(as_guest) or as_anonymous.status_code == 200
    assert OUTSIDE.encode() not in body(as_guest)
    # The session still holds the link (a studio URL neither used nor dropped it), unless
    # the URL was the log-out, which ends any session.
    if label != "logout":
        assert links["guest"].get(f"/l/{links['token']}/").status_code == 200


def _guest_url(name, route, parameters, token, video) -> str:
    return url_for(name, route, parameters, {"token": token, "video": video})


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("label", "name", "route", "parameters"), GUEST_URLS, ids=[row[0] for row in GUEST_URLS]
)
def test_every_link_url_answers_gone_for_a_wrong_expired_revoked_or_made_up_token(
    links, label, name, route, parameters, method
):
    guest, inside, outside = links["guest"], links["inside"], links["outside"]
    if method == "post":
        data = {"name": "Mallory", "body": "spam", "decision": "approved"}
    else:
        data = {}
    refusals = []
    for token in (links["expired_token"], links["revoked_token"], "x" * 43, "short"):
        refusals.append(
            getattr(guest, method)(_guest_url(name, route, parameters, token, inside.pk), data)
        )
    # The right token, but a video outside the link (one the guest may not see).
    if "video" in parameters:
        refusals.append(
            getattr(guest, method)(
                _guest_url(name, route, parameters, links["token"], outside.pk), data
            )
        )
        refusals.append(
            getattr(guest, method)(
                _guest_url(name, route, parameters, links["token"], uuid.uuid4()), data
            )
        )
    # Another link's token: its password was never given in this session.
    other = getattr(guest, method)(
        _guest_url(name, route, parameters, links["other_token"], inside.pk), data
    )
    if label == "reviewlinks:guest":
        # The other link's own page asks for its password, and shows nothing of either.
        assert other.status_code in (200, 403)
        assert b"Password" in body(other)
        assert OUTSIDE.encode() not in body(other) and IN_LINK.encode() not in body(other)
    else:
        refusals.append(other)
    for response in refusals:
        content = body(response)
        assert response.status_code == 404, f"{method.upper()} {label}"
        assert GONE in content
        assert IN_LINK.encode() not in content and OUTSIDE.encode() not in content
        assert response["X-Robots-Tag"] == "noindex, nofollow"
    # Every refusal is the same page, whatever the reason.
    assert len({body(r) for r in refusals}) == 1
    assert Comment.objects.count() == 1  # only the guest's one comment of the fixture
    inside.refresh_from_db()
    assert inside.review_status == "draft"


def test_the_guest_gets_through_with_the_right_token_so_the_refusals_mean_something(links):
    guest, token, inside = links["guest"], links["token"], links["inside"]
    assert guest.get(f"/l/{token}/").status_code == 200
    assert guest.get(f"/l/{token}/v/{inside.pk}/video/").status_code == 200
    assert guest.get(f"/l/{token}/v/{inside.pk}/poster/").status_code == 200
    assert guest.get(f"/l/{token}/v/{inside.pk}/download/").status_code == 200
    assert guest.get(f"/l/{token}/zip/").status_code == 200
    response = guest.post(f"/l/{token}/v/{inside.pk}/decide/", {"decision": "approved"})
    assert response.status_code == 302
    assert reverse("reviewlinks:guest", args=[token]) in response["Location"]
