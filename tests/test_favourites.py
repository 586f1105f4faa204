"""A star per person, from a card (htmx or plain form), the video page or a selection."""

from django.urls import reverse

from generations.models import Favourite
from tests.helpers import StudioTestCase, make_ready_generation


class StarTests(StudioTestCase):
    def test_one_click_stars_and_a_second_unstars(self):
        video = make_ready_generation(self.alice)
        url = reverse("generations:star", args=[video.pk])

        response = self.client.post(url, {"starred": "1"}, HTTP_HX_REQUEST="true")

        self.assertContains(response, 'aria-pressed="true"')
        self.assertNotContains(response, "<html")
        self.assertTrue(video.is_starred_by(self.alice))
        self.client.post(url, {"starred": "1"})  # twice is still one star
        self.assertEqual(Favourite.objects.count(), 1)

        self.client.post(url, {"starred": "0"})

        self.assertFalse(video.is_starred_by(self.alice))

    def test_without_javascript_it_goes_back_to_the_page_it_came_from(self):
        video = make_ready_generation(self.alice)

        response = self.client.post(
            reverse("generations:star", args=[video.pk]), {"starred": "1", "next": "/?q=kite"}
        )

        self.assertRedirects(response, "/?q=kite", fetch_redirect_response=False)

    def test_a_next_to_another_site_is_ignored(self):
        video = make_ready_generation(self.alice)

        response = self.client.post(
            reverse("generations:star", args=[video.pk]),
            {"starred": "1", "next": "https://evil.example/"},
        )

        self.assertRedirects(response, video.get_absolute_url(), fetch_redirect_response=False)

    def test_stars_are_personal(self):
        video = make_ready_generation(self.alice)
        video.set_star_for(self.bob, True)  # as if shared with him later

        self.assertFalse(video.is_starred_by(self.alice))
        html = self.client.get(reverse("generations:index")).content.decode()
        self.assertIn('aria-pressed="false"', html)

    def test_a_selection_is_starred_at_once(self):
        videos = [make_ready_generation(self.alice) for _ in range(3)]
        theirs = make_ready_generation(self.bob)

        self.client.post(
            reverse("generations:selection"),
            {"action": "star", "ids": [v.pk for v in videos[:2]] + [theirs.pk]},
        )

        self.assertEqual(
            set(Favourite.objects.values_list("generation", flat=True)),
            {videos[0].pk, videos[1].pk},
        )
