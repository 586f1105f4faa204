"""Small things every page gets right: the header, the favicon, the words around demo mode."""

import re
from html.parser import HTMLParser

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from generations.models import Comment
from tests.helpers import StudioTestCase, make_generation, make_ready_generation

TOKEN = re.compile(r'(?:name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")([^"]*)"')


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
        self.assertContains(response, "Demo clips are small stand-ins")
        self.assertContains(response, "a small demo stand-in for Landscape 720p")

    def test_the_header_names_the_person_and_offers_log_out(self):
        response = self.client.get(reverse("generations:index"))
        self.assertContains(response, 'aria-label="Log out alice"')
        self.assertContains(response, 'aria-current="page"')


class KeptHeaderTests(StudioTestCase):
    """The header comes from the cache (base.html's page_header fragment), and still shows
    at once who is looking, what they run and what they may open."""

    def setUp(self):
        super().setUp()
        cache.clear()

    def test_a_job_started_shows_in_the_header_at_once(self):
        index = reverse("generations:index")
        self.assertContains(self.client.get(index), '<span class="jobs-count">0</span>')

        job = make_generation(self.alice)

        response = self.client.get(index)
        self.assertContains(response, '<span class="jobs-waiting-count">1</span> waiting')
        self.assertContains(response, f'data-watch="{job.pk}"')

    def test_someone_made_an_admin_sees_the_admin_links_at_once(self):
        index = reverse("generations:index")
        self.assertNotContains(self.client.get(index), reverse("billing:audit"))

        get_user_model().objects.filter(pk=self.alice.pk).update(is_staff=True)

        self.assertContains(self.client.get(index), reverse("billing:audit"))

    def test_each_person_gets_their_own_header_and_token(self):
        index = reverse("generations:index")
        alice = self.client.get(index).content.decode()
        self.client.force_login(self.bob)
        bob = self.client.get(index).content.decode()

        self.assertIn('title="Change my password">alice</a>', alice)
        self.assertIn('title="Change my password">bob</a>', bob)
        self.assertNotIn("alice", bob)
        for html in (alice, bob):
            self.assertEqual(len(set(TOKEN.findall(html))), 1)
        self.assertNotEqual(TOKEN.findall(alice), TOKEN.findall(bob))
        self.assertNotIn("<csrf-token>", bob)


class _FormInParagraph(HTMLParser):
    """Finds a <form> opened inside a <p>: browsers close the paragraph first, so what was
    meant to sit beside the form (a row of actions) ends up above it instead."""

    def __init__(self):
        super().__init__()
        self.open_paragraphs = 0
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self.open_paragraphs += 1
        elif tag == "form" and self.open_paragraphs:
            self.found.append(dict(attrs).get("action") or "a form")

    def handle_endtag(self, tag):
        if tag == "p" and self.open_paragraphs:
            self.open_paragraphs -= 1


class MarkupTests(StudioTestCase):
    def test_no_page_puts_a_form_inside_a_paragraph_or_shows_a_template_comment(self):
        video = make_ready_generation(self.alice)
        video.share(actor=self.alice)
        video.save()
        Comment.objects.create(generation=video, author=self.alice, body="Hold.", at_seconds=0.5)
        for url in (
            reverse("generations:index"),
            reverse("generations:team"),
            reverse("generations:create"),
            video.get_absolute_url(),
            reverse("generations:trash"),
        ):
            with self.subTest(url=url):
                page = self.client.get(url).content.decode()
                parser = _FormInParagraph()
                parser.feed(page)
                self.assertEqual(parser.found, [])
                self.assertNotIn("{#", page)  # a template comment over two lines is shown
