"""Titles: the owner renames a video in place on its page; cards, the page, search, the
audit and download names use the title (the prompt's beginning until there is one)."""

import io
import zipfile

from django.urls import reverse

from generations.models import EventKind
from reports.audit import lines
from tests.helpers import StudioTestCase, body, make_ready_generation, make_user


def rename_url(video) -> str:
    return reverse("generations:rename", args=[video.pk])


class RenameTests(StudioTestCase):
    def test_the_owner_renames_a_video_and_every_place_uses_the_title(self):
        video = make_ready_generation(self.alice, prompt="A paper kite over a wheat field")
        page = self.client.get(video.get_absolute_url())
        self.assertContains(page, 'class="prompt-title">A paper kite over a wheat field</h1>')

        answer = self.client.post(rename_url(video), {"title": "  Spring   hero shot "})

        self.assertRedirects(answer, video.get_absolute_url(), fetch_redirect_response=False)
        video.refresh_from_db()
        self.assertEqual(video.display_title, "Spring hero shot")
        page = self.client.get(video.get_absolute_url())
        self.assertContains(page, 'class="prompt-title">Spring hero shot</h1>')
        self.assertContains(page, "<title>Spring hero shot · VeoStudio</title>")
        self.assertContains(page, "Renamed</strong> by alice — Now “Spring hero shot”.")
        gallery = self.client.get(reverse("generations:index"))
        self.assertContains(gallery, '<p class="tile-prompt">Spring hero shot</p>')
        found = self.client.get(reverse("generations:index") + "?q=hero")
        self.assertEqual(found.context["sections"]["ids"], [str(video.pk)])
        # The prompt still finds it too.
        found = self.client.get(reverse("generations:index") + "?q=wheat")
        self.assertEqual(found.context["sections"]["ids"], [str(video.pk)])
        self.assertIn("_spring-hero-shot_", video.download_name)
        download = self.client.get(reverse("generations:download", args=[video.pk]))
        self.assertIn("spring-hero-shot", download["Content-Disposition"])
        zipped = self.client.get(reverse("generations:zip") + f"?ids={video.pk}")
        names = zipfile.ZipFile(io.BytesIO(body(zipped))).namelist()
        self.assertEqual(names, [video.download_name])
        renamed = lines(action="renamed", viewer=self.alice)
        self.assertEqual(
            [(line.who, line.videos[0].label) for line in renamed], [("alice", "Spring hero shot")]
        )

    def test_htmx_answers_the_title_block_in_place(self):
        video = make_ready_generation(self.alice)

        answer = self.client.post(
            rename_url(video), {"title": "Hero"}, headers={"HX-Request": "true"}
        )

        self.assertContains(answer, f'id="title-{video.pk}"')
        self.assertContains(answer, 'class="prompt-title">Hero</h1>')
        self.assertNotContains(answer, "<html")

    def test_an_empty_title_goes_back_to_the_prompt(self):
        video = make_ready_generation(self.alice, prompt="Kite at dawn")
        video.rename_for(self.alice, "Hero")

        self.client.post(rename_url(video), {"title": "   "})

        video.refresh_from_db()
        self.assertEqual((video.title, video.display_title), ("", "Kite at dawn"))
        self.assertEqual(video.events.filter(kind=EventKind.RENAMED).count(), 2)

    def test_a_title_too_long_is_refused_with_a_sentence(self):
        video = make_ready_generation(self.alice)

        answer = self.client.post(rename_url(video), {"title": "x" * 121}, follow=True)
        self.assertContains(answer, "A title has at most 120 characters")
        htmx = self.client.post(
            rename_url(video), {"title": "y" * 121}, headers={"HX-Request": "true"}
        )
        self.assertContains(htmx, "y" * 121)  # kept in the field to shorten

        video.refresh_from_db()
        self.assertEqual(video.title, "")

    def test_nobody_else_renames_it(self):
        video = make_ready_generation(self.alice)
        video.share_for(self.alice)
        for person in (self.bob, make_user("boss", is_staff=True)):
            self.client.force_login(person)
            self.assertNotContains(self.client.get(video.get_absolute_url()), "rename-form")
            answer = self.client.post(rename_url(video), {"title": "Mine now"})
            self.assertEqual(answer.status_code, 404)
        video.refresh_from_db()
        self.assertEqual(video.title, "")

    def test_a_deleted_video_keeps_its_title_in_the_audit(self):
        video = make_ready_generation(self.alice, prompt="Kite at dawn")
        video.rename_for(self.alice, "Hero")
        video.delete_for(self.alice)

        deleted = lines(action="deleted", viewer=self.alice)

        self.assertEqual(deleted[0].videos[0].label, "Hero")
