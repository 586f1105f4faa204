"""A selection names videos by id in the request: nobody reaches another person's that way."""

from django.urls import reverse

from generations.models import Favourite, Generation
from tests.helpers import StudioTestCase, make_ready_generation


class SelectionIsolationTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.theirs = [make_ready_generation(self.bob, prompt="Bob's secret") for _ in range(2)]
        self.ids = [str(g.pk) for g in self.theirs]

    def test_someone_else_s_videos_cannot_be_trashed_starred_or_restored(self):
        for action in ("trash", "star", "restore"):
            with self.subTest(action):
                response = self.client.post(
                    reverse("generations:selection"), {"action": action, "ids": self.ids}
                )
                self.assertRedirects(
                    response, reverse("generations:index"), fetch_redirect_response=False
                )

        self.assertEqual(Generation.objects.in_trash().count(), 0)
        self.assertFalse(Favourite.objects.exists())

    def test_someone_else_s_videos_are_not_zipped_or_compared(self):
        zipped = self.client.get(reverse("generations:zip"), {"ids": self.ids}, follow=True)
        compared = self.client.get(reverse("generations:compare"), {"ids": self.ids}, follow=True)

        for response in (zipped, compared):
            self.assertEqual(response["Content-Type"].split(";")[0], "text/html")
            self.assertNotContains(response, "Bob's secret")

    def test_an_undo_names_only_the_person_s_own_videos(self):
        mine = make_ready_generation(self.alice)
        response = self.client.post(
            reverse("generations:selection"),
            {"action": "trash", "ids": [mine.pk, *self.ids]},
            follow=True,
        )

        self.assertContains(response, f'name="ids" value="{mine.pk}"')
        for pk in self.ids:
            self.assertNotContains(response, pk)

    def test_a_get_to_the_selection_goes_back_to_the_gallery(self):
        response = self.client.get(reverse("generations:selection"))

        self.assertRedirects(response, reverse("generations:index"))
