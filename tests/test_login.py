"""Logging in: every page but the log-in page needs it, and guessing passwords gets a visitor
locked out for a while (by username and address together)."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation
from tests.helpers import PASSWORD, StudioTestCase, make_generation

LOGIN_URL = reverse("login")
INDEX_URL = reverse("generations:index")
CREATE_URL = reverse("generations:create")


class LoginRequiredTests(StudioTestCase):
    logged_in = False

    def test_it_sends_anonymous_visitors_to_the_login_page(self):
        generation = make_generation(self.alice)
        for url in (INDEX_URL, CREATE_URL, generation.get_absolute_url()):
            with self.subTest(url):
                response = self.client.get(url)
                self.assertRedirects(
                    response, f"{LOGIN_URL}?next={url}", fetch_redirect_response=False
                )

    def test_it_leaves_the_login_page_itself_open(self):
        response = self.client.get(LOGIN_URL)

        self.assertEqual(response.status_code, 200)

    def test_it_makes_nothing_from_an_anonymous_post_to_create(self):
        response = self.client.post(
            CREATE_URL,
            {
                "prompt": "A kite",
                "model": "veo3.1-fast",
                "seconds": "4",
                "size": "1280x720",
            },
        )

        self.assertRedirects(
            response, f"{LOGIN_URL}?next={CREATE_URL}", fetch_redirect_response=False
        )
        self.assertFalse(Generation.objects.exists())


class LoginLockoutTests(StudioTestCase):
    logged_in = False

    def attempt(self, username, password, ip="203.0.113.7"):
        return self.client.post(
            LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip
        )

    def fail_five_times(self, username="alice", ip="203.0.113.7"):
        responses = [self.attempt(username, "wrong password", ip) for _ in range(5)]
        # The first four are ordinary "wrong password" answers on the log-in form;
        # the fifth reaches the limit and already answers with the locked-out page.
        for response in responses[:4]:
            self.assertEqual(response.status_code, 200)
            self.assertTemplateUsed(response, "registration/login.html")
            self.assertFalse(response.context["form"].is_valid())
        self.assertEqual(responses[4].status_code, 429)
        return responses

    def assertLockedOut(self, response):
        self.assertEqual(response.status_code, 429)
        self.assertTemplateUsed(response, "registration/locked_out.html")
        self.assertContains(response, "Too many failed log-ins", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def assertLoggedInAs(self, response, user):
        self.assertRedirects(response, INDEX_URL, fetch_redirect_response=False)
        self.assertEqual(self.client.session["_auth_user_id"], str(user.pk))

    def test_it_locks_even_the_right_password_out_after_five_wrong_ones(self):
        self.fail_five_times()

        response = self.attempt("alice", PASSWORD)

        self.assertLockedOut(response)

    def test_it_shows_a_friendly_locked_out_page_not_an_error(self):
        self.fail_five_times()

        response = self.attempt("alice", PASSWORD)

        self.assertContains(response, "Back to log in", status_code=429)
        self.assertContains(response, LOGIN_URL, status_code=429)
        self.assertNotContains(response, "Traceback", status_code=429)

    def test_it_still_lets_another_username_from_the_same_address_log_in(self):
        self.fail_five_times("alice")

        response = self.attempt("bob", PASSWORD)

        self.assertLoggedInAs(response, self.bob)

    def test_it_still_lets_the_same_username_from_another_address_log_in(self):
        # Locking by username and address together: a stranger cannot lock alice out.
        self.fail_five_times("alice", ip="203.0.113.7")

        response = self.attempt("alice", PASSWORD, ip="198.51.100.20")

        self.assertLoggedInAs(response, self.alice)

    def test_it_lifts_the_lock_after_the_cool_off(self):
        self.fail_five_times()
        self.assertLockedOut(self.attempt("alice", PASSWORD))

        with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
            response = self.attempt("alice", PASSWORD)

        self.assertLoggedInAs(response, self.alice)

    def test_it_keeps_the_lock_until_the_cool_off_ends(self):
        self.fail_five_times()

        with time_machine.travel(timezone.now() + timedelta(minutes=14), tick=False):
            response = self.attempt("alice", PASSWORD)

        self.assertLockedOut(response)

    def test_it_locks_nobody_out_after_four_wrong_passwords(self):
        for _ in range(4):
            self.attempt("alice", "wrong password")

        response = self.attempt("alice", PASSWORD)

        self.assertLoggedInAs(response, self.alice)
