"""Review links, as a member and a client use them: Alice makes a link for two of her
videos, a client with no account opens it, gives a name, comments at a moment and approves;
Alice and the team read it; she revokes it and the link answers as gone."""

import re
from datetime import timedelta

import time_machine
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import AuditEntry
from generations.models import Comment, Notification, NotificationKind, ReviewStatus
from reports import audit
from reviewlinks.models import GuestComment, ReviewLink, hash_token
from tests.helpers import StudioTestCase, body, make_ready_generation
from tests.reviewlinks_guest import Guest

GONE = b"This link is no longer available"


def token_of(response) -> str:
    """The address shown once on the new link's page."""
    found = re.search(r'value="https?://[^"]*/l/([A-Za-z0-9_-]+)/"', response.content.decode())
    assert found, "the new link's address is on its page"
    return found.group(1)


class LinkCase(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.kite = make_ready_generation(self.alice, prompt="A red kite over dunes")
        self.boat = make_ready_generation(self.alice, prompt="A blue boat at dawn")
        self.other = make_ready_generation(self.alice, prompt="A secret third video 4e1d")

    def make_link(self, videos=None, **fields) -> str:
        data = {
            "name": "Round 2",
            "days": "30",
            "password": "",
            "allow_feedback": "on",
            "ids": [str(v.pk) for v in (videos or [self.kite, self.boat])],
            **fields,
        }
        response = self.client.post(reverse("reviewlinks:new"), data, follow=True)
        self.assertEqual(response.status_code, 200)
        return token_of(response)


class MakingALinkTests(LinkCase):
    def test_the_form_starts_at_thirty_days_with_comments_on_and_downloads_off(self):
        response = self.client.get(reverse("reviewlinks:new"), {"ids": [self.kite.pk]})
        self.assertContains(response, '<option value="30" selected>30 days</option>', html=True)
        self.assertNotContains(response, "Never")
        form = response.context["form"]
        self.assertTrue(form.fields["allow_feedback"].initial)
        self.assertFalse(form.fields["allow_download"].initial)

    def test_a_link_keeps_only_a_hash_of_its_256_bit_token_and_a_hashed_password(self):
        token = self.make_link(password="maison-lune")
        link = ReviewLink.objects.get()
        self.assertGreaterEqual(len(token), 43)  # token_urlsafe(32): 256 bits
        self.assertEqual(link.token_hash, hash_token(token))
        self.assertNotIn(token, str(list(ReviewLink.objects.values())))
        # Django's password hashers (the tests' settings pick a fast one).
        self.assertTrue(identify_hasher(link.password))
        self.assertNotIn("maison-lune", link.password)
        self.assertTrue(link.check_password("maison-lune"))
        self.assertEqual(link.expires_at.date(), (timezone.now() + timedelta(days=30)).date())
        self.assertEqual(set(link.videos.all()), {self.kite, self.boat})
        entry = AuditEntry.objects.get(action="review_link_made")
        self.assertEqual(entry.actor, self.alice)
        self.assertIn("Round 2", entry.detail)

    def test_the_address_is_shown_once_to_the_session_that_made_it(self):
        self.make_link()
        link = ReviewLink.objects.get()
        other = Client()
        other.force_login(self.alice)
        response = other.get(reverse("reviewlinks:detail", args=[link.pk]))
        self.assertNotContains(response, "/l/")
        self.assertContains(response, "shown once")

    def test_only_her_own_finished_videos_go_into_a_link(self):
        bobs = make_ready_generation(self.bob, prompt="Bob's video")
        bobs.share_for(self.bob)
        response = self.client.get(reverse("reviewlinks:new"), {"ids": [bobs.pk]})
        self.assertRedirects(response, reverse("generations:index"))
        self.assertFalse(ReviewLink.objects.exists())

    def test_a_nameless_link_is_refused_with_a_sentence_and_nothing_is_saved(self):
        response = self.client.post(
            reverse("reviewlinks:new"), {"name": " ", "days": "7", "ids": [self.kite.pk]}
        )
        self.assertContains(response, "Please give the link a name.", status_code=400)
        self.assertFalse(ReviewLink.objects.exists())

    def test_the_video_page_lists_its_live_links_and_revokes_one_at_once(self):
        token = self.make_link()
        link = ReviewLink.objects.get()
        page = self.client.get(self.kite.get_absolute_url())
        self.assertContains(page, f'id="video-review-link-{link.pk}"')
        self.assertContains(page, reverse("reviewlinks:revoke", args=[link.pk]))
        response = self.client.post(
            reverse("reviewlinks:revoke", args=[link.pk]), {"next": self.kite.get_absolute_url()}
        )
        self.assertRedirects(response, self.kite.get_absolute_url(), fetch_redirect_response=False)
        after = self.client.get(self.kite.get_absolute_url())
        self.assertContains(after, "Revoked “Round 2”")
        self.assertNotContains(after, f'id="video-review-link-{link.pk}"')
        self.assertContains(Client().get(f"/l/{token}/"), GONE, status_code=404)
        self.assertTrue(AuditEntry.objects.filter(action="review_link_revoked").exists())

    def test_only_the_owner_sees_the_panel_and_not_on_a_video_in_the_trash(self):
        self.make_link()
        self.kite.share_for(self.alice)
        self.assertContains(self.client.get(self.kite.get_absolute_url()), 'id="make-review-link"')

        self.client.force_login(self.bob)  # a teammate who may watch the shared video
        page = self.client.get(self.kite.get_absolute_url())
        self.assertContains(page, "A red kite over dunes")
        self.assertNotContains(page, 'id="review-links"')

        self.client.force_login(self.alice)
        self.kite.trash_for(self.alice)
        page = self.client.get(self.kite.get_absolute_url())
        self.assertContains(page, "In the Trash since")
        self.assertNotContains(page, 'id="review-links"')

    def test_the_links_page_lists_live_links_with_views_and_an_admin_sees_everyones(self):
        token = self.make_link()
        Client().get(f"/l/{token}/")
        page = self.client.get(reverse("reviewlinks:index"))
        self.assertContains(page, "Round 2")
        self.assertEqual(page.context["links"][0].views, 1)
        self.client.force_login(self.bob)
        self.assertNotContains(self.client.get(reverse("reviewlinks:index")), "Round 2")
        self.bob.is_staff = True
        self.bob.save()
        self.assertContains(self.client.get(reverse("reviewlinks:index")), "Round 2")


class GuestTests(LinkCase):
    def test_a_client_comments_at_a_moment_and_approves_and_the_team_reads_it(self):
        token = self.make_link()
        guest = Guest()
        page = guest.get(f"/l/{token}/")
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page["X-Robots-Tag"], "noindex, nofollow")
        self.assertEqual(page["Referrer-Policy"], "no-referrer")
        self.assertIn("Content-Security-Policy", page)
        self.assertContains(page, '<meta name="robots" content="noindex, nofollow">', html=True)
        self.assertContains(page, "A red kite over dunes")
        self.assertNotContains(page, "A secret third video")

        guest.post(f"/l/{token}/name/", {"name": "Claire (client)"})
        response = guest.post(
            f"/l/{token}/v/{self.kite.pk}/comment/", {"body": "Lovely light here", "at": "0:00.5"}
        )
        self.assertEqual(response.status_code, 302)
        comment = Comment.objects.get()
        self.assertIsNone(comment.author)
        self.assertEqual((comment.guest_name, comment.at_seconds), ("Claire (client)", 0.5))
        self.assertEqual(GuestComment.objects.get().comment, comment)
        guest.post(f"/l/{token}/v/{self.boat.pk}/decide/", {"decision": "approved"})
        self.boat.refresh_from_db()
        self.assertEqual(self.boat.review_status, ReviewStatus.APPROVED)

        # Alice reads both, marked as from a guest through that link; she was told in the app.
        video_page = self.client.get(self.kite.get_absolute_url())
        self.assertContains(video_page, "Claire (client) (guest via link “Round 2”)")
        self.assertContains(video_page, "Lovely light here")
        boat_page = self.client.get(self.boat.get_absolute_url())
        self.assertContains(boat_page, "Approved by Claire (client) (guest)")
        told = Notification.objects.filter(recipient=self.alice, kind=NotificationKind.GUEST)
        self.assertEqual(told.count(), 2)
        self.assertTrue(all(n.actor_name == "Claire (client) (guest)" for n in told))
        # The audit log names the guest, the link and the video.
        said = {(line.who, line.action) for line in audit.lines()}
        self.assertIn(("Claire (client) (guest)", "commented through a review link"), said)
        self.assertIn(("Claire (client) (guest)", "decided through a review link"), said)
        self.assertIn(("alice", "made a review link"), said)
        decided = AuditEntry.objects.get(action="guest_decided")
        self.assertEqual(decided.detail, "Claire (client) via link “Round 2”: Approved")
        self.assertEqual(decided.generation_ref, self.boat.pk)

    def test_the_guest_plays_the_video_with_ranges_and_gets_the_poster(self):
        token = self.make_link()
        guest = Guest()
        guest.get(f"/l/{token}/")
        response = guest.get(f"/l/{token}/v/{self.kite.pk}/video/", HTTP_RANGE="bytes=0-99")
        self.assertEqual(response.status_code, 206)
        self.assertEqual(len(body(response)), 100)
        self.assertEqual(response["Accept-Ranges"], "bytes")
        poster = guest.get(f"/l/{token}/v/{self.kite.pk}/poster/")
        self.assertEqual(poster.status_code, 200)
        self.assertEqual(poster["X-Robots-Tag"], "noindex, nofollow")

    def test_downloads_answer_only_when_the_link_allows_them(self):
        token = self.make_link()
        guest = Guest()
        self.assertContains(
            guest.get(f"/l/{token}/v/{self.kite.pk}/download/"), GONE, status_code=404
        )
        self.assertContains(guest.get(f"/l/{token}/zip/"), GONE, status_code=404)
        token = self.make_link(allow_download="on")
        zipped = guest.get(f"/l/{token}/zip/")
        self.assertEqual(zipped.status_code, 200)
        self.assertEqual(zipped["Content-Type"], "application/zip")
        download = guest.get(f"/l/{token}/v/{self.kite.pk}/download/")
        self.assertEqual(download.status_code, 200)
        self.assertIn("attachment", download["Content-Disposition"])

    def test_a_link_without_comments_takes_no_word_from_the_guest(self):
        token = self.make_link(allow_feedback="")
        guest = Guest()
        page = guest.get(f"/l/{token}/")
        self.assertNotContains(page, "Your name")
        guest.post(f"/l/{token}/name/", {"name": "Claire"})
        response = guest.post(f"/l/{token}/v/{self.kite.pk}/comment/", {"body": "Hi"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Comment.objects.exists())

    def test_a_post_without_the_pages_form_key_changes_nothing(self):
        # Another site cannot read the key of the guest's page, so it cannot post for them.
        token = self.make_link()
        guest = Guest()
        guest.post(f"/l/{token}/name/", {"name": "Claire"})
        forged = Client()
        forged.cookies = guest.cookies
        response = forged.post(
            f"/l/{token}/v/{self.kite.pk}/comment/", {"body": "Forged", "form_key": "guess"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Comment.objects.exists())
        self.assertContains(guest.get(f"/l/{token}/"), "The page was out of date.")

    def test_a_guest_must_give_a_name_before_commenting(self):
        token = self.make_link()
        guest = Guest()
        guest.get(f"/l/{token}/")
        guest.post(f"/l/{token}/v/{self.kite.pk}/comment/", {"body": "Who am I"})
        self.assertFalse(Comment.objects.exists())
        self.assertContains(guest.get(f"/l/{token}/"), "Please give your name first.")

    def test_guest_comments_are_limited_in_length_and_rate(self):
        token = self.make_link()
        guest = Guest()
        guest.get(f"/l/{token}/")
        guest.post(f"/l/{token}/name/", {"name": "Claire"})
        guest.post(f"/l/{token}/v/{self.kite.pk}/comment/", {"body": "x" * 1001})
        self.assertFalse(Comment.objects.exists())
        self.assertContains(guest.get(f"/l/{token}/"), "under 1000 characters")
        for n in range(7):
            guest.post(f"/l/{token}/v/{self.kite.pk}/comment/", {"body": f"note {n}"})
        self.assertEqual(Comment.objects.count(), 5)
        self.assertContains(guest.get(f"/l/{token}/"), "commenting very quickly")

    def test_a_password_is_asked_first_and_wrong_tries_are_throttled(self):
        token = self.make_link(password="maison-lune")
        guest = Guest()
        page = guest.get(f"/l/{token}/")
        self.assertContains(page, "Password")
        self.assertNotContains(page, "A red kite")
        # Files and actions answer as gone until the password is given.
        self.assertEqual(guest.get(f"/l/{token}/v/{self.kite.pk}/video/").status_code, 404)
        wrong = guest.post(f"/l/{token}/", {"password": "nope"})
        self.assertContains(wrong, "That password is not right.", status_code=403)
        for _ in range(4):
            guest.post(f"/l/{token}/", {"password": "nope"})
        # Even the right one now waits: five wrong tries from this address pause the link.
        paused = guest.post(f"/l/{token}/", {"password": "maison-lune"})
        self.assertContains(paused, "Too many wrong passwords", status_code=429)
        # Another address is not paused.
        other = Guest(REMOTE_ADDR="10.0.0.9")
        response = other.post(f"/l/{token}/", {"password": "maison-lune"})
        self.assertEqual(response.status_code, 302)
        self.assertContains(other.get(f"/l/{token}/"), "A red kite over dunes")
        self.assertEqual(other.get(f"/l/{token}/v/{self.kite.pk}/video/").status_code, 200)

    def test_an_expired_link_answers_gone(self):
        token = self.make_link(days="1")
        with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
            self.assertContains(Client().get(f"/l/{token}/"), GONE, status_code=404)

    def test_a_trashed_video_or_a_deactivated_maker_closes_it_in_the_link(self):
        token = self.make_link()
        self.kite.trash_for(self.alice)
        guest = Guest()
        page = guest.get(f"/l/{token}/")
        self.assertNotContains(page, "A red kite")
        self.assertEqual(guest.get(f"/l/{token}/v/{self.kite.pk}/video/").status_code, 404)
        self.alice.is_active = False
        self.alice.save()
        self.assertContains(guest.get(f"/l/{token}/"), GONE, status_code=404)

    def test_a_link_whose_videos_are_all_gone_is_gone(self):
        token = self.make_link(videos=[self.kite])
        self.kite.trash_for(self.alice)
        self.assertContains(Guest().get(f"/l/{token}/"), GONE, status_code=404)


class GuestCommentModerationTests(LinkCase):
    def test_the_videos_maker_deletes_a_guests_comment_and_no_one_else_can(self):
        token = self.make_link()
        guest = Guest()
        guest.post(f"/l/{token}/name/", {"name": "Spammer"})
        guest.post(f"/l/{token}/v/{self.kite.pk}/comment/", {"body": "Buy cheap pills"})
        comment = Comment.objects.get()
        url = reverse("reviewlinks:delete_guest_comment", args=[comment.pk])
        self.assertContains(self.client.get(self.kite.get_absolute_url()), url)

        self.kite.share_for(self.alice)
        self.client.force_login(self.bob)
        self.assertNotContains(self.client.get(self.kite.get_absolute_url()), url)
        self.assertEqual(self.client.post(url).status_code, 404)
        self.assertTrue(Comment.objects.exists())

        self.client.force_login(self.alice)
        response = self.client.post(url)
        self.assertRedirects(
            response, self.kite.get_absolute_url() + "#comments", fetch_redirect_response=False
        )
        self.assertFalse(Comment.objects.exists())
        self.assertNotContains(guest.get(f"/l/{token}/"), "Buy cheap pills")
        entry = AuditEntry.objects.get(action="comment_deleted")
        self.assertIn("Spammer", entry.detail)
