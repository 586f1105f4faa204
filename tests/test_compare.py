"""Compare 2 to 4 videos side by side with one control (the syncing itself: the browser test)."""

from django.urls import reverse

from tests.helpers import StudioTestCase, make_ready_generation


class CompareTests(StudioTestCase):
    def test_two_to_four_videos_side_by_side_with_one_control(self):
        videos = [make_ready_generation(self.alice, prompt=f"Take {n}") for n in range(3)]

        response = self.client.get(reverse("generations:compare"), {"ids": [v.pk for v in videos]})

        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertEqual(html.count('class="compare-player'), 3)
        self.assertIn('id="compare-play"', html)
        self.assertIn('data-tolerance="0.1"', html)
        self.assertEqual(html.count('class="star-form"'), 3)

    def test_fewer_than_two_of_mine_goes_back_with_a_hint(self):
        mine = make_ready_generation(self.alice)
        theirs = make_ready_generation(self.bob)

        response = self.client.get(
            reverse("generations:compare"), {"ids": [mine.pk, theirs.pk]}, follow=True
        )

        self.assertContains(response, "Pick 2 to 4 ready videos")
        self.assertNotContains(response, str(theirs.pk))
