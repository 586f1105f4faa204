"""A client draws on the paused frame with their comment, through a review link that takes
feedback: the drawing is checked by the studio's own rule (generations/drawings.py), kept
with the guest's comment, shown over the player on the guest's page and in the studio like
any drawing; a bad one is refused with a sentence and the words are kept."""

import json

from django.urls import reverse

from generations.models import Comment, Notification
from tests.helpers import StudioTestCase, make_ready_generation
from tests.reviewlinks_guest import Guest
from tests.test_reviewlinks_flow import GONE, token_of

CIRCLE = [{"kind": "circle", "colour": "yellow", "points": [[0.2, 0.2], [0.5, 0.6]]}]


class GuestDrawingTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.kite = make_ready_generation(self.alice, prompt="A red kite over dunes")

    def make_link(self, **fields) -> str:
        data = {"name": "Round 2", "days": "30", "ids": [str(self.kite.pk)], **fields}
        response = self.client.post(reverse("reviewlinks:new"), data, follow=True)
        return token_of(response)

    def named_guest(self, token: str) -> Guest:
        guest = Guest()
        guest.post(f"/l/{token}/name/", {"name": "Claire (client)"})
        return guest

    def test_a_guest_draws_with_a_comment_and_the_team_sees_the_drawing(self):
        token = self.make_link(allow_feedback="on")
        guest = self.named_guest(token)
        page = guest.get(f"/l/{token}/")
        self.assertContains(page, 'class="button small start-drawing"')
        self.assertContains(page, 'name="drawing"')
        self.assertContains(page, "js/drawing.js")
        sent = {"body": "Move the logo here", "at": "0:00.5", "drawing": json.dumps(CIRCLE)}
        response = guest.post(f"/l/{token}/v/{self.kite.pk}/comment/", sent)
        self.assertEqual(response.status_code, 302)
        comment = Comment.objects.get()
        self.assertEqual(comment.drawing, CIRCLE)
        self.assertEqual((comment.guest_name, comment.at_seconds), ("Claire (client)", 0.5))

        # The guest's page shows it over the player (the comment carries its shapes).
        page = guest.get(f"/l/{token}/").content.decode()
        self.assertIn(f'id="comment-{comment.pk}" data-drawing="', page)
        self.assertIn("Show the drawing", page)
        # The studio shows it like any drawing, and the bell leads to its moment.
        studio = self.client.get(self.kite.get_absolute_url()).content.decode()
        self.assertIn(f'id="comment-{comment.pk}" data-drawing="', studio)
        told = Notification.objects.get(recipient=self.alice)
        self.assertTrue(told.url.endswith(f"#t=0.5&c={comment.pk}"))
        self.assertIn("(with a drawing)", told.text)

    def test_a_bad_drawing_is_refused_with_a_sentence_and_the_words_are_kept(self):
        token = self.make_link(allow_feedback="on")
        guest = self.named_guest(token)
        too_small = [{"kind": "arrow", "colour": "red", "points": [[0.5, 0.5], [0.501, 0.5]]}]
        cases = [
            ({"drawing": json.dumps(too_small), "at": "0:00.5"}, "that small cannot be seen"),
            ({"drawing": "[{]", "at": "0:00.5"}, "could not be read"),
            ({"drawing": json.dumps(CIRCLE), "at": ""}, "A drawing belongs to a moment"),
            (
                {"drawing": json.dumps([{**CIRCLE[0], "colour": "#ff00ff"}]), "at": "0:00.5"},
                "Please pick one of the colours offered",
            ),
        ]
        for extra, sentence in cases:
            with self.subTest(sentence):
                sent = {"body": "Keep these words", **extra}
                guest.post(f"/l/{token}/v/{self.kite.pk}/comment/", sent)
                page = guest.get(f"/l/{token}/")
                self.assertContains(page, sentence)
                self.assertContains(page, "Keep these words")
        self.assertFalse(Comment.objects.exists())
        # A drawing refused for its words (too long) is offered again as it was.
        sent = {"body": "x" * 1001, "at": "0:00.5", "drawing": json.dumps(CIRCLE)}
        guest.post(f"/l/{token}/v/{self.kite.pk}/comment/", sent)
        page = guest.get(f"/l/{token}/").content.decode()
        self.assertIn("Please keep a comment under 1000 characters", page)
        self.assertIn("&quot;circle&quot;", page)

    def test_a_link_without_feedback_offers_no_drawing_and_takes_none(self):
        token = self.make_link()  # comments off
        guest = Guest()
        page = guest.get(f"/l/{token}/")
        self.assertNotContains(page, "start-drawing")
        sent = {"body": "Hello", "at": "0:00.5", "drawing": json.dumps(CIRCLE)}
        response = guest.post(f"/l/{token}/v/{self.kite.pk}/comment/", sent)
        self.assertEqual(response.status_code, 404)
        self.assertIn(GONE, response.content)
        self.assertFalse(Comment.objects.exists())
