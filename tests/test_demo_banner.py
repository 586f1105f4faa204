"""The demo banner: shown while videos are simulated, gone once a real key is set."""

from django.test import override_settings
from django.urls import reverse

from tests.helpers import StudioTestCase

INDEX_URL = reverse("generations:index")
CREATE_URL = reverse("generations:create")


class DemoBannerTests(StudioTestCase):
    BANNER = "Demo mode — videos are simulated"

    @override_settings(DEMO_MODE=True)
    def test_it_shows_in_demo_mode(self):
        for url in (INDEX_URL, CREATE_URL):
            with self.subTest(url):
                self.assertContains(self.client.get(url), self.BANNER)

    @override_settings(DEMO_MODE=False)
    def test_it_is_absent_with_a_real_key(self):
        for url in (INDEX_URL, CREATE_URL):
            with self.subTest(url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, self.BANNER)
                self.assertNotContains(response, "demo-banner")
