"""Logging in: every page but the log-in page needs it."""

from django.urls import reverse

from generations.models import Generation
from tests.helpers import StudioTestCase, make_generation

LOGIN_URL = reverse("login")
INDEX_URL = reverse("generations:index")
CREATE_URL = reverse("generations:create")


class LoginRequiredTests(StudioTestCase):
    logged_in = False

    def test_it_sends_anonymous_visitors_to_the_login_page(self):
        generation = make_generation(self.alice)
        for url in (INDEX_URL, CREATE_URL, generation.get_absolute_url()):
            with self.subTest(url):
                response = self.client.get(url)
                self.assertRedirects(
                    response, f"{LOGIN_URL}?next={url}", fetch_redirect_response=False
                )

    def test_it_leaves_the_login_page_itself_open(self):
        response = self.client.get(LOGIN_URL)

        self.assertEqual(response.status_code, 200)

    def test_it_makes_nothing_from_an_anonymous_post_to_create(self):
        response = self.client.post(
            CREATE_URL,
            {
                "prompt": "A kite",
                "model": "veo3.1-fast",
                "seconds": "4",
                "size": "1280x720",
            },
        )

        self.assertRedirects(
            response, f"{LOGIN_URL}?next={CREATE_URL}", fetch_redirect_response=False
        )
        self.assertFalse(Generation.objects.exists())
