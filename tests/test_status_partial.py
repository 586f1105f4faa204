"""The status fragment htmx polls every 3 s, and how polling stops."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation, Status
from tests.helpers import StudioTestCase, make_generation, make_ready_generation

HTMX = {"HTTP_HX_REQUEST": "true"}
POLL = 'data-poll="'
STOP_POLLING = 286


def status_url(generation: Generation, view: str = "") -> str:
    url = reverse("generations:status", args=[generation.pk])
    return f"{url}?view={view}" if view else url


class StatusPartialTests(StudioTestCase):
    def in_status(self, status: str) -> Generation:
        """A job of alice's, put into `status` the way the worker would."""
        if status == Status.READY:
            return make_ready_generation(self.alice)
        generation = make_generation(self.alice)
        if status == Status.SUBMITTED:
            generation.mark_submitted("task_1")
        elif status == Status.RENDERING:
            generation.mark_submitted("task_1")
            generation.mark_progress(55, started=True)
        elif status == Status.SAVING:
            generation.mark_submitted("task_1")
            generation.mark_rendered("https://cdn.example/v.mp4")
        elif status == Status.FAILED:
            generation.mark_failed("Veo could not make this video: blocked.", "task:failed")
        elif status == Status.TIMED_OUT:
            generation.mark_timed_out()
        elif status == Status.UNCERTAIN:
            generation.mark_uncertain("read_timeout")
        generation.save()
        self.assertEqual(generation.status, status)
        return generation

    def test_an_active_job_answers_a_polling_fragment(self):
        for status in (
            Status.WAITING,
            Status.SUBMITTED,
            Status.RENDERING,
            Status.SAVING,
        ):
            with self.subTest(status):
                generation = self.in_status(status)

                response = self.client.get(status_url(generation), **HTMX)

                self.assertEqual(response.status_code, 200)
                html = response.content.decode()
                self.assertNotIn("<html", html)
                self.assertNotIn("<body", html)
                self.assertTrue(html.lstrip().startswith(f'<section id="status-{generation.pk}"'))
                self.assertIn(POLL, html)
                self.assertIn(f'data-poll="status:{generation.pk}:{generation.poll_version}"', html)
                self.assertIn(generation.status_sentence, html)

    def test_an_ended_job_answers_a_final_fragment_without_a_trigger_and_286(self):
        expected = {
            Status.READY: "<video",
            Status.FAILED: "Veo could not make this video: blocked.",
            Status.TIMED_OUT: "Check again",
            Status.UNCERTAIN: "Send again anyway",
        }
        for status, text in expected.items():
            with self.subTest(status):
                generation = self.in_status(status)

                response = self.client.get(status_url(generation), **HTMX)

                self.assertEqual(response.status_code, STOP_POLLING)
                html = response.content.decode()
                self.assertNotIn("<html", html)
                self.assertNotIn("data-poll=", html)
                self.assertNotIn("data-poll", html)
                self.assertIn(f'data-status="{status}"', html)
                self.assertIn(text, html)

    def test_the_fragment_follows_the_job_as_it_changes(self):
        generation = self.in_status(Status.RENDERING)
        self.assertContains(self.client.get(status_url(generation), **HTMX), "55%")

        generation.mark_failed("CometAPI no longer knows this job.", "not_found")
        generation.save()

        response = self.client.get(status_url(generation), **HTMX)
        self.assertEqual(response.status_code, STOP_POLLING)
        self.assertContains(response, "CometAPI no longer knows this job.", status_code=286)

    def test_a_plain_request_gets_a_full_page_never_a_bare_fragment(self):
        generation = self.in_status(Status.RENDERING)

        response = self.client.get(status_url(generation), follow=True)

        # Either answer is fine for a person who opened the link: the page itself, or a
        # redirect to it. A fragment without <html> would be a broken page.
        for url, _code in response.redirect_chain:
            self.assertEqual(url, generation.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "<html")
        self.assertContains(response, "</html>")
        self.assertContains(response, f'id="status-{generation.pk}"')
        self.assertContains(response, POLL)
        self.assertContains(response, generation.prompt)

    def test_a_plain_request_for_an_ended_job_is_a_normal_200_page(self):
        generation = self.in_status(Status.FAILED)

        response = self.client.get(status_url(generation), follow=True)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "<html")
        self.assertContains(response, "Veo could not make this video: blocked.")

    def test_view_card_answers_the_gallery_card_fragment(self):
        generation = self.in_status(Status.RENDERING)

        response = self.client.get(status_url(generation, "card"), **HTMX)

        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertTrue(html.lstrip().startswith('<li class="tile status-rendering"'))
        self.assertIn(f'id="card-{generation.pk}"', html)
        self.assertIn(f'data-poll="card:{generation.pk}:{generation.card_version}"', html)
        self.assertIn(POLL, html)
        self.assertNotIn("<html", html)
        self.assertNotIn("status-card", html)

    def test_an_ended_card_stops_polling(self):
        generation = self.in_status(Status.READY)

        response = self.client.get(status_url(generation, "card"), **HTMX)

        self.assertEqual(response.status_code, STOP_POLLING)
        html = response.content.decode()
        self.assertIn(f'id="card-{generation.pk}"', html)
        self.assertIn(reverse("generations:poster", args=[generation.pk]), html)
        self.assertNotIn("data-poll=", html)

    def test_another_users_poll_gets_404(self):
        generation = self.in_status(Status.RENDERING)
        self.client.force_login(self.bob)

        for url in (status_url(generation), status_url(generation, "card")):
            with self.subTest(url):
                response = self.client.get(url, **HTMX)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(generation.prompt, response.content.decode())

    def test_an_expired_session_sends_the_whole_page_to_the_login(self):
        generation = self.in_status(Status.RENDERING)
        Session.objects.all().delete()  # what expiry does to the session behind the cookie
        page = "http://testserver" + generation.get_absolute_url()

        response = self.client.get(status_url(generation), HTTP_HX_CURRENT_URL=page, **HTMX)

        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Location", response.headers)
        login = urlsplit(response.headers["HX-Redirect"])
        self.assertEqual(login.path, reverse("login"))
        # After logging in the person lands on the page they were on, not on a bare fragment.
        self.assertEqual(parse_qs(login.query)["next"], [page])
        self.assertNotIn(b"<form", response.content)

    def test_an_expired_session_without_a_current_url_still_gets_hx_redirect(self):
        generation = self.in_status(Status.RENDERING)
        self.client.logout()

        response = self.client.get(status_url(generation, "card"), **HTMX)

        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["HX-Redirect"].startswith(reverse("login") + "?next="))

    def test_a_long_job_shows_its_elapsed_time_and_keeps_polling(self):
        generation = self.in_status(Status.RENDERING)
        Generation.objects.filter(pk=generation.pk).update(
            created_at=timezone.now() - timedelta(minutes=15),
            started_at=timezone.now() - timedelta(minutes=15),
        )

        response = self.client.get(status_url(generation), **HTMX)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "15 min")
