"""The isolation walk for the inbox's URLs: another person's line, a private video's
suggestions, and resolving, each answer exactly what something that does not exist gets
(tests/test_isolation.py walks every video URL; these take other ids or other roles)."""

import pytest
from django.urls import reverse

from generations.models import Comment, NotificationKind
from generations.notifications import notify
from tests.helpers import body, make_ready_generation, make_user
from tests.test_isolation import _PER_RESPONSE, SECRET_PROMPT, logged_in


@pytest.fixture
def cast(db):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    private = make_ready_generation(alice, prompt=SECRET_PROMPT)
    shared = make_ready_generation(alice)
    shared.share_for(alice)
    [line] = notify(
        [alice], NotificationKind.READY, f"{SECRET_PROMPT} is ready", generation=private
    )
    note = Comment.objects.create(generation=shared, author=bob, body="Too dark")
    return alice, bob, carol, private, shared, line, note


def same_as_nowhere(client, method, url, nowhere):
    response, missing = getattr(client, method)(url), getattr(client, method)(nowhere)
    assert response.status_code == missing.status_code == 404, url
    assert _PER_RESPONSE.sub(b"", body(response)) == _PER_RESPONSE.sub(b"", body(missing))
    assert SECRET_PROMPT.encode() not in body(response)


def test_someone_else_s_line_is_not_there(cast):
    alice, bob, carol, private, shared, line, note = cast
    outsider = logged_in(bob)
    same_as_nowhere(
        outsider, "get", reverse("inbox:open", args=[line.pk]), reverse("inbox:open", args=[10**9])
    )
    assert SECRET_PROMPT.encode() not in body(outsider.get(reverse("inbox:inbox")))
    bell = outsider.get(reverse("generations:poll"), {"bell": "0"}, headers={"HX-Request": "true"})
    assert SECRET_PROMPT.encode() not in body(bell)
    line.refresh_from_db()
    assert line.read_at is None  # bob's try marked nothing read


def test_a_private_video_s_people_are_not_listed_to_anyone_else(cast):
    alice, bob, carol, private, shared, line, note = cast
    nowhere = reverse(
        "generations:mention_suggestions", args=["00000000-0000-4000-8000-000000000000"]
    )
    url = reverse("generations:mention_suggestions", args=[private.pk])
    same_as_nowhere(logged_in(bob), "get", url, nowhere)
    assert logged_in(alice).get(url).json()["people"] == []  # only she sees it


@pytest.mark.parametrize("who", ["carol", "an outsider on a private video"])
def test_only_the_author_the_owner_and_admins_resolve(cast, who):
    alice, bob, carol, private, shared, line, note = cast
    if who == "carol":
        url = reverse("generations:comment_resolve", args=[shared.pk, note.pk])
        nowhere = reverse("generations:comment_resolve", args=[shared.pk, 10**9])
        same_as_nowhere(logged_in(carol), "post", url, nowhere)
    else:
        own = Comment.objects.create(generation=private, author=alice, body="mine")
        url = reverse("generations:comment_resolve", args=[private.pk, own.pk])
        nowhere = reverse("generations:comment_resolve", args=[private.pk, 10**9])
        same_as_nowhere(logged_in(bob), "post", url, nowhere)
    note.refresh_from_db()
    assert note.resolved_at is None
    for person in (alice, bob, make_user("boss", is_staff=True)):
        url = reverse("generations:comment_resolve", args=[shared.pk, note.pk])
        assert logged_in(person).post(url).status_code == 302
        note.refresh_from_db()
        assert note.resolved_by == person
        logged_in(person).post(url, {"reopen": "1"})
