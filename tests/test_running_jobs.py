"""The header's running-jobs indicator, and how the page's poll tells it a job has ended."""

from django.urls import reverse

from tests.helpers import StudioTestCase, events, make_generation, make_ready_generation, swaps


class RunningJobsTests(StudioTestCase):
    url = reverse("generations:poll")

    def test_every_page_shows_how_many_of_my_jobs_are_waiting_or_running(self):
        make_generation(self.alice)
        make_generation(self.alice)
        make_generation(self.bob)
        make_ready_generation(self.alice)

        response = self.client.get(reverse("generations:index"))

        self.assertContains(response, 'id="jobs-indicator"')
        self.assertContains(
            response,
            # Not yet sent to CometAPI: waiting, not running (test_smaller.py has both kinds).
            '<span class="jobs-waiting"><span class="jobs-waiting-count">2</span> waiting</span>',
            html=False,
        )

    def test_the_indicator_is_hidden_when_nothing_runs(self):
        make_ready_generation(self.alice)
        response = self.client.get(reverse("generations:create"))
        self.assertContains(response, '<span class="jobs-count">0</span>')
        self.assertContains(response, 'data-watch=""')

    def test_the_poll_redraws_the_header_and_says_how_watched_jobs_ended(self):
        running = make_generation(self.alice)
        failed = make_generation(self.alice, prompt="A storm over the harbour")
        failed.mark_failed("Veo could not make this video: blocked.", "task:failed")
        failed.save()
        ready = make_ready_generation(self.alice, prompt="A kite at dawn")

        response = self.client.get(self.url, {"watch": f"{failed.pk} {ready.pk} nonsense"})

        self.assertEqual(response.status_code, 200)
        header = swaps(response)["jobs-indicator"]
        self.assertIn(f'data-watch="{running.pk}"', header)
        self.assertIn('<span class="jobs-waiting-count">1</span> waiting', header)
        ended = {job["id"]: job for job in events(response)["veostudio:ended"]}
        self.assertEqual(ended[str(ready.pk)]["title"], "Video ready: A kite at dawn")
        self.assertEqual(ended[str(failed.pk)]["title"], "Failed: A storm over the harbour")
        self.assertIn("blocked", ended[str(failed.pk)]["body"])
        self.assertEqual(ended[str(ready.pk)]["url"], ready.get_absolute_url())

    def test_someone_elses_jobs_are_never_reported(self):
        theirs = make_ready_generation(self.bob, prompt="Bob's secret")
        make_generation(self.bob)

        response = self.client.get(self.url, {"watch": str(theirs.pk)})

        self.assertEqual(events(response), {})
        self.assertIn('data-watch=""', swaps(response)["jobs-indicator"])
        self.assertNotIn(str(theirs.pk), response.content.decode())
