"""The gallery: my jobs only, newest first, a page at a time, live cards for running jobs."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests.helpers import StudioTestCase, make_generation, make_ready_generation

INDEX_URL = reverse("generations:index")
CREATE_URL = reverse("generations:create")


class GalleryTests(StudioTestCase):
    def test_it_shows_only_my_jobs(self):
        mine = make_generation(self.alice, prompt="Alice's lighthouse at dusk")
        make_generation(self.bob, prompt="Bob's secret submarine")

        response = self.client.get(INDEX_URL)

        self.assertContains(response, "lighthouse at dusk")
        self.assertContains(response, f'id="card-{mine.pk}"')
        self.assertNotContains(response, "secret submarine")
        self.assertEqual(list(response.context["page"].object_list), [mine])

    def test_it_lists_13_jobs_newest_first_12_to_a_page(self):
        start = timezone.now() - timedelta(hours=1)
        jobs = [
            make_generation(
                self.alice,
                prompt=f"Shot number {n:02d}",
                created_at=start + timedelta(minutes=n),
            )
            for n in range(13)
        ]

        first = self.client.get(INDEX_URL)
        second = self.client.get(INDEX_URL, {"page": 2})

        newest_first = list(reversed(jobs))
        self.assertEqual(list(first.context["page"].object_list), newest_first[:12])
        self.assertEqual(list(second.context["page"].object_list), newest_first[12:])
        html = first.content.decode()
        self.assertLess(html.index("Shot number 12"), html.index("Shot number 11"))
        self.assertNotIn("Shot number 00", html)
        self.assertContains(first, "Page 1 of 2")
        self.assertContains(first, 'href="?page=2"')
        self.assertContains(second, "Shot number 00")
        self.assertContains(second, "Page 2 of 2")

    def test_it_shows_the_last_page_for_a_page_number_out_of_range(self):
        make_generation(self.alice, prompt="Only shot")

        response = self.client.get(INDEX_URL, {"page": "99"})

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Only shot")

    def test_it_invites_a_first_video_when_empty(self):
        response = self.client.get(INDEX_URL)

        self.assertContains(response, "No videos yet")
        self.assertContains(response, f'href="{CREATE_URL}"')

    def test_it_polls_active_cards_and_not_ended_ones(self):
        active = make_generation(self.alice, prompt="Still rendering")
        ready = make_ready_generation(self.alice, prompt="All done")

        html = self.client.get(INDEX_URL).content.decode()

        card = html[html.index(f'id="card-{active.pk}"') :]
        self.assertIn('data-poll="', card[: card.index(">")])
        card = html[html.index(f'id="card-{ready.pk}"') :]
        self.assertNotIn("data-poll=", card[: card.index(">")])
        self.assertIn(reverse("generations:poster", args=[ready.pk]), html)
