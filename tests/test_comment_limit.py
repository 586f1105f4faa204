"""Comments have a per-person pace: a handful a minute, then a friendly word, and the text
that was typed stays in the form."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from generations.models import Comment
from generations.team_views import COMMENTS_PER_MINUTE
from tests.helpers import StudioTestCase, make_ready_generation

HTMX = {"HX-Request": "true"}
TOO_FAST = "You are commenting very quickly. Please wait a minute and press Comment again"


class CommentLimitTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.video = make_ready_generation(self.alice, seconds=4.0)
        self.video.share_for(self.alice)
        self.url = reverse("generations:comments", args=[self.video.pk])
        self.client.force_login(self.bob)

    def post_a_handful(self):
        for number in range(COMMENTS_PER_MINUTE):
            response = self.client.post(self.url, {"body": f"Note {number}"})
            self.assertEqual(response.status_code, 302)

    def test_one_comment_too_many_is_refused_kindly_and_keeps_the_text(self):
        self.post_a_handful()

        response = self.client.post(self.url, {"body": "The horizon tilts at 0:02", "at": "0:02"})

        self.assertContains(response, TOO_FAST, status_code=429)
        self.assertContains(response, "The horizon tilts at 0:02", status_code=429)
        self.assertContains(response, 'value="0:02"', status_code=429)
        self.assertEqual(Comment.objects.count(), COMMENTS_PER_MINUTE)

    def test_the_page_s_own_form_gets_the_message_in_place(self):
        self.post_a_handful()

        response = self.client.post(self.url, {"body": "One more thought"}, headers=HTMX)

        # htmx swaps only 2xx answers: the section comes back with the message and the text.
        self.assertContains(response, TOO_FAST)
        self.assertContains(response, "One more thought</textarea>")
        self.assertEqual(Comment.objects.count(), COMMENTS_PER_MINUTE)

    def test_a_minute_later_the_same_text_goes_through(self):
        self.post_a_handful()
        with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
            response = self.client.post(self.url, {"body": "One more thought"})

        self.assertEqual(response.status_code, 302)
        self.assertEqual(Comment.objects.count(), COMMENTS_PER_MINUTE + 1)

    def test_the_limit_is_per_person(self):
        self.post_a_handful()
        self.client.force_login(self.alice)

        response = self.client.post(self.url, {"body": "Thanks, all"})

        self.assertEqual(response.status_code, 302)
        self.assertTrue(Comment.objects.filter(author=self.alice, body="Thanks, all").exists())

    def test_a_refused_empty_comment_is_not_counted_against_the_pace(self):
        for _ in range(COMMENTS_PER_MINUTE + 2):
            refused = self.client.post(self.url, {"body": "   "})
            self.assertEqual(refused.status_code, 400)

        response = self.client.post(self.url, {"body": "Now with words"})

        self.assertEqual(response.status_code, 302)
