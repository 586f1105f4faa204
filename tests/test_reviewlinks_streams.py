"""The videos a guest streams through a link are bounded like a person's (lib/media.py),
counted per link and address: one link's visitors cannot hold every thread of a web
process, and they take no place of the studio's people (nor of each other's links)."""

from django.test import override_settings

from lib import media
from reviewlinks.models import ReviewLink
from tests.helpers import StudioTestCase, body, make_ready_generation
from tests.reviewlinks_guest import Guest


@override_settings(MEDIA_STREAMS_PER_PERSON=2)
class GuestStreamTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.video = make_ready_generation(self.alice, seconds=2.0)
        link, self.token = ReviewLink.create_for(
            self.alice, name="Round 2", days=7, videos=[self.video], allow_download=True
        )
        _, self.other_token = ReviewLink.create_for(
            self.alice, name="Round 3", days=7, videos=[self.video]
        )

    def url(self, token: str) -> str:
        return f"/l/{token}/v/{self.video.pk}/video/"

    def test_past_the_bound_the_guest_is_asked_to_wait_in_the_links_own_look(self):
        guest = Guest()
        unread = [guest.get(self.url(self.token)), guest.get(f"/l/{self.token}/zip/")]
        self.assertEqual([answer.status_code for answer in unread], [200, 200])
        refused = guest.get(self.url(self.token))
        self.assertContains(refused, "Please let one of them finish", status_code=429)
        self.assertEqual(refused["Retry-After"], str(media.RETRY_AFTER_SECONDS))
        self.assertNotContains(refused, 'href="/"', status_code=429)
        self.assertEqual(refused["X-Robots-Tag"], "noindex, nofollow")

        # Another link, and the video's maker in the studio, still stream.
        self.assertEqual(Guest().get(self.url(self.other_token)).status_code, 200)
        self.assertEqual(self.client.get(f"/videos/{self.video.pk}/video.mp4").status_code, 200)

        body(unread[0])  # read to the end: its place is free again
        self.assertEqual(guest.get(self.url(self.token)).status_code, 200)
