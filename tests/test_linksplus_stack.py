"""A review link for a version stack: Alice shares "every version" of her kite video; the
client sees the versions she may still share, newest first; a new version shows up by
itself; a version trashed or deleted leaves it, and the first version's deletion hands the
stack on without closing the link."""

from django.urls import reverse

from reviewlinks.models import ReviewLink
from tests.helpers import StudioTestCase, make_ready_generation
from tests.reviewlinks_guest import Guest
from tests.test_reviewlinks_flow import GONE, token_of


class StackLinkTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.v1 = make_ready_generation(self.alice, prompt="Kite version one")
        self.v2 = make_ready_generation(
            self.alice, prompt="Kite version two", stack=self.v1, version=2
        )
        self.lone = make_ready_generation(self.alice, prompt="A lone boat")

    def make_link(self, video, scope: str) -> str:
        data = {"name": "Kite, all tries", "days": "30", "allow_feedback": "on"}
        data |= {"ids": [str(video.pk)], "scope": scope}
        response = self.client.post(reverse("reviewlinks:new"), data, follow=True)
        self.assertEqual(response.status_code, 200)
        return token_of(response)

    def served_titles(self, token: str) -> list[str]:
        link = ReviewLink.find_by_token(token)
        return [video.prompt for video in link.videos_served()]

    def test_a_video_with_versions_offers_this_version_or_every_version(self):
        page = self.client.get(reverse("reviewlinks:new"), {"ids": str(self.v2.pk)})
        self.assertContains(page, 'id="scope-video"')
        self.assertContains(page, "Every version of it")
        alone = self.client.get(reverse("reviewlinks:new"), {"ids": str(self.lone.pk)})
        self.assertNotContains(alone, "Every version of it")

    def test_this_version_shares_only_it(self):
        token = self.make_link(self.v2, "video")
        self.assertEqual(self.served_titles(token), ["Kite version two"])
        self.assertFalse(ReviewLink.objects.get().whole_stack)

    def test_every_version_is_served_newest_first_and_a_new_one_appears(self):
        token = self.make_link(self.v1, "stack")
        link = ReviewLink.objects.get()
        self.assertTrue(link.whole_stack)
        self.assertEqual(self.served_titles(token), ["Kite version two", "Kite version one"])
        guest = Guest()
        page = guest.get(f"/l/{token}/")
        self.assertContains(page, "Kite version two")
        self.assertContains(page, "Version 2")
        self.assertNotContains(page, "A lone boat")
        v3 = make_ready_generation(
            self.alice, prompt="Kite version three", stack=self.v1, version=3
        )
        self.assertEqual(
            self.served_titles(token),
            ["Kite version three", "Kite version two", "Kite version one"],
        )
        self.assertEqual(guest.get(f"/l/{token}/v/{v3.pk}/video/").status_code, 200)
        # The video's page names the link beside any version of the stack.
        self.assertContains(self.client.get(v3.get_absolute_url()), "Kite, all tries")
        self.assertContains(self.client.get(reverse("reviewlinks:index")), "Every version")

    def test_a_trashed_or_deleted_version_leaves_the_link_and_the_rest_stays(self):
        v3 = make_ready_generation(
            self.alice, prompt="Kite version three", stack=self.v1, version=3
        )
        token = self.make_link(self.v2, "stack")
        guest = Guest()
        self.v2.trash_for(self.alice)
        self.assertEqual(self.served_titles(token), ["Kite version three", "Kite version one"])
        self.assertIn(GONE, guest.get(f"/l/{token}/v/{self.v2.pk}/video/").content)
        # The first version deleted for good: the stack is handed on, the link follows it.
        self.assertTrue(self.v1.delete_for(self.alice))
        self.assertEqual(self.served_titles(token), ["Kite version three"])
        v3.refresh_from_db()
        self.assertEqual(v3.stack_id, self.v2.pk)  # v2 (in the Trash) is the stack's first now
        v4 = make_ready_generation(self.alice, prompt="Kite version four", stack=self.v2, version=4)
        self.assertEqual(self.served_titles(token), ["Kite version four", "Kite version three"])
        self.assertEqual(guest.get(f"/l/{token}/v/{v4.pk}/poster/").status_code, 200)

    def test_a_stack_link_serves_nothing_outside_the_stack_nor_what_its_maker_lost(self):
        token = self.make_link(self.v1, "stack")
        guest = Guest()
        self.assertIn(GONE, guest.get(f"/l/{token}/v/{self.lone.pk}/video/").content)
        # Someone else's remake of the kite is a stack of their own: not in Alice's link.
        bob = self.bob
        theirs = make_ready_generation(bob, prompt="Bob's kite", stack=None)
        self.assertIn(GONE, guest.get(f"/l/{token}/v/{theirs.pk}/video/").content)
        link = ReviewLink.objects.get()
        link.revoke_for(self.alice)
        self.assertIn(GONE, guest.get(f"/l/{token}/v/{self.v2.pk}/video/").content)

    def test_only_her_own_versions_can_be_put_in_a_stack_link(self):
        bob = self.bob
        self.client.force_login(bob)
        page = self.client.get(reverse("reviewlinks:new"), {"ids": str(self.v2.pk)}, follow=True)
        self.assertNotContains(page, "Every version of it")
        self.assertFalse(ReviewLink.objects.exists())
