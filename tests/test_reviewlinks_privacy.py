"""What a review link shows, and what it never shows: only the videos in it (or in its
project, as the project is at each visit), no one's name but the guests' who commented
through it, and no address of the studio: every link, source and form action on a guest's
page stays under the link's own address (or the static files)."""

import re

from django.test import Client

from generations.models import Comment, Project
from reviewlinks.models import ReviewLink
from tests.helpers import StudioTestCase, make_ready_generation
from tests.reviewlinks_guest import Guest

ATTRIBUTE = re.compile(r'\b(?:href|src|action|poster|formaction)="([^"]*)"')


class GuestPageRevealsNothingElseTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.alice.first_name, self.alice.last_name = "Alice", "Moreau"
        self.alice.save()
        self.bob.first_name, self.bob.last_name = "Bob", "Quennell"
        self.bob.save()
        self.project = Project.objects.create(name="Maison Lune", created_by=self.alice)
        self.inside = make_ready_generation(
            self.alice, prompt="Perfume bottle on marble", project=self.project
        )
        self.outside = make_ready_generation(self.alice, prompt="Private harbour draft 93ac")
        self.bobs = make_ready_generation(self.bob, prompt="Bob's bakery spot 4b7e")
        self.bobs.share_for(self.bob)
        Comment.objects.create(
            generation=self.inside, author=self.bob, body="Internal: the client is slow"
        )

    def visit(self, link_token: str) -> list[bytes]:
        """The page and every file it names, as a guest fetches them."""
        guest = Guest()
        guest.post(f"/l/{link_token}/name/", {"name": "Claire (client)"})
        guest.post(
            f"/l/{link_token}/v/{self.inside.pk}/comment/", {"body": "Lovely", "at": "0:00.2"}
        )
        page = guest.get(f"/l/{link_token}/")
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        answers = [page.content]
        for address in set(ATTRIBUTE.findall(html)):
            if address.startswith("#"):
                continue
            self.assertTrue(
                address.startswith((f"/l/{link_token}/", "/static/")),
                f"{address} leads out of the link",
            )
            if address.startswith("/l/") and not address.endswith(
                ("/comment/", "/decide/", "/name/")
            ):
                answer = guest.get(address)
                self.assertIn(answer.status_code, (200, 206), address)
                answers.append(
                    b"".join(answer.streaming_content) if answer.streaming else answer.content
                )
        return answers

    def assert_reveals_nothing_else(self, answers: list[bytes]) -> None:
        for content in answers:
            for secret in (
                b"Moreau",
                b"Alice",
                b"alice",
                b"Quennell",
                b"Bob",
                b"bob",
                b"Private harbour draft",
                str(self.outside.pk).encode(),
                b"Bob's bakery",
                str(self.bobs.pk).encode(),
                b"Internal: the client is slow",
                b"/videos/",
                b"/projects/",
                b"/team/",
                b'aria-label="Main"',
            ):
                self.assertNotIn(secret, content)

    def test_a_video_link_shows_its_video_and_the_guests_words_only(self):
        link, token = ReviewLink.create_for(
            self.alice, name="Round 2", days=7, videos=[self.inside], allow_download=True
        )
        answers = self.visit(token)
        self.assertIn(b"Perfume bottle on marble", answers[0])
        self.assertIn(b"Claire (client)", answers[0])
        self.assert_reveals_nothing_else(answers)

    def test_a_project_link_shows_the_projects_videos_as_they_are_at_each_visit(self):
        link, token = ReviewLink.create_for(
            self.alice, name="Maison Lune", days=7, project=self.project
        )
        answers = self.visit(token)
        self.assertIn(b"Perfume bottle on marble", answers[0])
        self.assert_reveals_nothing_else(answers)
        # A video moved in shows on the next visit; one moved out is gone from the link.
        self.outside.move_for(self.alice, self.project)
        self.assertContains(Client().get(f"/l/{token}/"), "Private harbour draft")
        self.inside.move_for(self.alice, None)
        guest = Guest()
        page = guest.get(f"/l/{token}/")
        self.assertNotContains(page, "Perfume bottle on marble")
        self.assertEqual(guest.get(f"/l/{token}/v/{self.inside.pk}/video/").status_code, 404)

    def test_only_the_projects_maker_or_an_admin_makes_a_link_to_it(self):
        self.client.force_login(self.bob)
        response = self.client.get("/links/new/", {"project": self.project.pk})
        self.assertEqual(response.status_code, 404)
        self.client.force_login(self.alice)
        response = self.client.post(
            "/links/new/",
            {"project": self.project.pk, "name": "Maison Lune", "days": "7"},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(ReviewLink.objects.get().project, self.project)
        self.assertContains(self.client.get(self.project.get_absolute_url()), "Review link")

    def test_a_video_the_links_maker_no_longer_sees_leaves_the_link(self):
        # Alice's video, handed over to Bob and so private to him, is no longer hers to show.
        link, token = ReviewLink.create_for(
            self.alice, name="Round 2", days=7, videos=[self.outside]
        )
        self.assertContains(Client().get(f"/l/{token}/"), "Private harbour draft")
        admin = type(self.alice).objects.create_user("admin", password="x" * 12, is_staff=True)
        self.outside.hand_over_for(admin, self.bob)
        # It was the link's only video: the link is gone as a whole.
        gone = Client().get(f"/l/{token}/")
        self.assertNotContains(gone, "Private harbour draft", status_code=404)
        self.assertContains(gone, "no longer available", status_code=404)

    def test_the_studio_reads_a_guests_comment_as_from_the_guest_through_that_link(self):
        link, token = ReviewLink.create_for(
            self.alice, name="Round 2", days=7, videos=[self.inside]
        )
        self.visit(token)
        page = self.client.get(self.inside.get_absolute_url())
        self.assertContains(page, "Claire (client) (guest via link “Round 2”)")
        self.assertContains(page, "Lovely")
        # Bob, who sees the project, reads it the same way in the comments' poll.
        self.client.force_login(self.bob)
        listing = self.client.get(
            f"/videos/{self.inside.pk}/comments/", headers={"HX-Request": "true"}
        )
        self.assertContains(listing, "Claire (client) (guest via link “Round 2”)")
