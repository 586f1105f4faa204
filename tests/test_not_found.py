"""A 404 that is kind to people and tells nobody anything."""

import uuid

from django.urls import reverse

from tests.helpers import StudioTestCase, make_ready_generation


class NotFoundPageTests(StudioTestCase):
    def test_a_video_that_is_not_shared_with_you_says_so_kindly(self):
        generation = make_ready_generation(self.alice, prompt="Alice's secret shot")
        self.client.force_login(self.bob)

        response = self.client.get(generation.get_absolute_url())

        self.assertContains(response, "This video is not shared with you", status_code=404)
        self.assertContains(response, "ask them to share the video", status_code=404)
        self.assertContains(response, reverse("generations:team"), status_code=404)
        self.assertNotContains(response, "secret shot", status_code=404)
        self.assertNotContains(response, str(generation.pk), status_code=404)
        self.assertTemplateUsed(response, "base.html")

    def test_an_unshared_a_deleted_and_a_made_up_video_read_the_same(self):
        generation = make_ready_generation(self.alice)
        generation.share_for(self.alice)
        generation.unshare_for(self.alice)
        self.client.force_login(self.bob)

        unshared = self.client.get(generation.get_absolute_url())
        made_up = self.client.get(reverse("generations:detail", args=[uuid.uuid4()]))

        self.assertEqual(unshared.status_code, made_up.status_code)
        self.assertEqual(unshared.templates[0].name, made_up.templates[0].name)
        self.assertEqual(unshared.context["about_video"], made_up.context["about_video"])

    def test_an_open_page_s_poll_gets_the_no_longer_shared_notice(self):
        generation = make_ready_generation(self.alice)
        generation.share_for(self.alice)
        self.client.force_login(self.bob)
        generation.unshare_for(self.alice)

        response = self.client.get(
            reverse("generations:comments", args=[generation.pk]),
            headers={"HX-Request": "true"},
        )

        self.assertContains(response, 'id="gone-notice"', status_code=404)
        self.assertContains(response, "no longer shared with you", status_code=404)
        self.assertNotContains(response, "<html", status_code=404)

    def test_a_page_that_does_not_exist_gets_a_plain_kind_page(self):
        response = self.client.get("/no/such/page/")

        self.assertContains(response, "We could not find that page", status_code=404)
        self.assertNotContains(response, "not shared with you", status_code=404)
