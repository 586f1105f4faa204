"""A reviewer meets the studio's friendly 403 at every door that makes a video or spends:
batches from a sheet, presets and Improve my prompt, a review link, Use this frame. Nothing
is made, reserved or charged, and the header offers none of them."""

from django.urls import reverse

from billing.models import LedgerEntry
from generations.models import Generation, Role, Teammate

from .helpers import StudioTestCase, make_ready_generation, make_user, valid_data


class ReviewerDoorTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.rita = make_user("rita")
        Teammate.set_role(self.rita, Role.REVIEWER)
        self.shared = make_ready_generation(self.alice, prompt="Alice's shared bottle")
        self.shared.share_for(self.alice)
        self.client.force_login(self.rita)

    def test_every_door_that_makes_or_spends_is_refused_in_a_plain_sentence(self):
        doors = [
            ("get", reverse("batches:batches"), {}),
            ("post", reverse("batches:batches"), {"rows": "prompt\nA kite over a field"}),
            ("get", reverse("prompts:library"), {}),
            ("post", reverse("prompts:save"), {"name": "Mine", **valid_data()}),
            ("post", reverse("prompts:improve"), {"prompt": "A kite", "model": "veo3.1-fast"}),
            ("post", reverse("prompts:block_add"), {"name": "Look", "text": "warm light"}),
            ("get", reverse("reviewlinks:new") + f"?videos={self.shared.pk}", {}),
            ("post", reverse("reviewlinks:new"), {"videos": str(self.shared.pk), "name": "x"}),
            ("post", reverse("generations:use_frame", args=[self.shared.pk]), {"at": "0"}),
            ("get", reverse("sequences:index"), {}),
            ("post", reverse("sequences:index"), {"title": "Spot"}),
            ("post", reverse("sequences:add_video", args=[self.shared.pk]), {"new": "1"}),
        ]
        for method, url, data in doors:
            with self.subTest(url=url, method=method):
                response = getattr(self.client, method)(url, data)
                self.assertEqual(response.status_code, 403)
                self.assertContains(response, "Reviewers watch and comment", status_code=403)
        self.assertEqual(Generation.objects.count(), 1)
        self.assertFalse(LedgerEntry.objects.filter(person=self.rita).exists())

    def test_the_header_offers_none_of_them(self):
        page = self.client.get(reverse("generations:team")).content.decode()
        for url in (
            reverse("batches:batches"),
            reverse("prompts:library"),
            reverse("reviewlinks:index"),
            reverse("sequences:index"),
            reverse("generations:create"),
        ):
            self.assertNotIn(f'href="{url}"', page)

    def test_a_member_still_finds_them(self):
        self.client.force_login(self.alice)
        page = self.client.get(reverse("generations:team")).content.decode()
        for url in (reverse("batches:batches"), reverse("prompts:library")):
            self.assertIn(f'href="{url}"', page)
