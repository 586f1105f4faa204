"""A forged POST (no CSRF token) is refused and changes nothing, for every action that
changes something; with the token the same POST works."""

import re

from django.test import Client
from django.urls import reverse

from generations.models import Generation, Status
from tests.helpers import StudioTestCase, make_generation

LOGOUT_URL = reverse("logout")
INDEX_URL = reverse("generations:index")
CREATE_URL = reverse("generations:create")


class CsrfTests(StudioTestCase):
    def setUp(self):
        self.client = Client(enforce_csrf_checks=True)
        super().setUp()

    def ended_job(self, status=Status.FAILED):
        generation = make_generation(self.alice)
        if status == Status.TIMED_OUT:
            generation.mark_timed_out()
        else:
            generation.mark_failed("CometAPI kept having server problems.", "server:500")
        generation.save()
        return generation

    def snapshot(self, generation):
        generation.refresh_from_db()
        return (
            generation.status,
            generation.failure_reason,
            generation.attempts,
            generation.next_action_at,
        )

    def test_it_refuses_a_forged_create_which_starts_nothing(self):
        response = self.client.post(
            CREATE_URL,
            {"prompt": "A forged kite", "model": "veo3.1-fast", "seconds": "4", "size": "1280x720"},
        )

        self.assertEqual(response.status_code, 403)
        self.assertFalse(Generation.objects.exists())

    def test_it_refuses_a_forged_delete_which_deletes_nothing(self):
        generation = self.ended_job()

        response = self.client.post(reverse("generations:delete", args=[generation.pk]))

        self.assertEqual(response.status_code, 403)
        self.assertTrue(Generation.objects.filter(pk=generation.pk).exists())

    def test_it_refuses_a_forged_check_again_which_changes_nothing(self):
        generation = self.ended_job(Status.TIMED_OUT)
        self.assertTrue(generation.can_check_again)
        before = self.snapshot(generation)

        response = self.client.post(reverse("generations:check_again", args=[generation.pk]))

        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.snapshot(generation), before)

    def test_it_refuses_a_forged_submit_again_which_changes_nothing(self):
        generation = self.ended_job()
        self.assertTrue(generation.can_submit_again)
        before = self.snapshot(generation)

        response = self.client.post(reverse("generations:submit_again", args=[generation.pk]))

        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.snapshot(generation), before)

    def test_it_refuses_a_forged_logout_and_the_user_stays_logged_in(self):
        response = self.client.post(LOGOUT_URL)

        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.session["_auth_user_id"], str(self.alice.pk))
        self.assertEqual(self.client.get(INDEX_URL).status_code, 200)

    def test_it_lets_the_same_post_through_with_the_token(self):
        # Guards the tests above: the 403s come from the missing token, nothing else.
        generation = self.ended_job()
        page = self.client.get(generation.get_absolute_url()).content.decode()
        # From the page as the browser has it: parts of it come from the cache (fragments.py).
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

        response = self.client.post(
            reverse("generations:delete", args=[generation.pk]),
            {"csrfmiddlewaretoken": str(token)},
        )

        self.assertRedirects(response, INDEX_URL, fetch_redirect_response=False)
        generation.refresh_from_db()
        self.assertTrue(generation.in_trash)
