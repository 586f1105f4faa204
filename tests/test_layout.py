"""Small things every page gets right: the header, the favicon, the words around demo mode."""

from django.test import override_settings
from django.urls import reverse

from tests.helpers import StudioTestCase, make_ready_generation


class LayoutTests(StudioTestCase):
    def test_the_gallery_offers_new_video_once(self):
        make_ready_generation(self.alice)
        response = self.client.get(reverse("generations:index"))
        self.assertEqual(response.content.decode().count(">New video<"), 1)

    def test_favicon_ico_answers(self):
        self.client.logout()
        response = self.client.get("/favicon.ico", follow=True)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.redirect_chain[0][0].rsplit("/", 1)[-1], "favicon.ico")

    def test_logging_out_says_so_on_the_login_page(self):
        response = self.client.post(reverse("logout"), follow=True)
        self.assertContains(response, "You are logged out.")
        self.assertContains(response, "Log in to VeoStudio")

    @override_settings(DEMO_MODE=True)
    def test_demo_mode_says_demo_clips_are_small_stand_ins(self):
        generation = make_ready_generation(self.alice)
        response = self.client.get(generation.get_absolute_url())
        self.assertContains(response, "demo clips are small stand-ins")
        self.assertContains(response, "a small demo stand-in for Landscape 720p")

    def test_the_header_names_the_person_and_offers_log_out(self):
        response = self.client.get(reverse("generations:index"))
        self.assertContains(response, 'aria-label="Log out alice"')
        self.assertContains(response, 'aria-current="page"')
