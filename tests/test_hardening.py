"""Smaller holes found by trying VeoStudio as an attacker would: public auth pages nobody
uses, forged log lines, prompts that grow after they were counted, pages left in a shared
browser's cache, and admin file links that went nowhere."""

import logging
import re
import sys
import unicodedata

import pytest
from django.test import Client, SimpleTestCase
from django.urls import NoReverseMatch, reverse

from generations.forms import PROMPT_MAX_LENGTH, GenerationForm
from generations.models import Generation
from lib.logs import SingleLineFormatter
from tests.helpers import StudioTestCase, drive, make_generation, make_ready_generation

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class AuthPagesTests(StudioTestCase):
    UNUSED = [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
        "/accounts/password_change/",
        "/accounts/password_change/done/",
    ]

    def test_djangos_own_password_reset_and_change_paths_are_not_mounted(self):
        # Ours are (reports/account_views.py, tests/test_accounts.py); Django's
        # password-reset request page, which skips people with no password yet, is not.
        anonymous = Client()
        for url in self.UNUSED:
            with self.subTest(url):
                # Logged in or not: the path simply does not exist.
                self.assertEqual(self.client.get(url).status_code, 404)
                self.assertEqual(anonymous.get(url).status_code, 404)
        for name in ("password_reset", "password_reset_done", "password_change_done"):
            with self.subTest(name), pytest.raises(NoReverseMatch):
                reverse(name)

    def test_log_in_and_log_out_still_work(self):
        self.client.logout()
        response = self.client.post(
            reverse("login"), {"username": "alice", "password": "correct horse battery"}
        )
        self.assertRedirects(response, reverse("generations:index"))
        self.client.post(reverse("logout"))
        self.assertNotIn("_auth_user_id", self.client.session)


class PromptLengthTests(StudioTestCase):
    def form(self, prompt):
        return GenerationForm(
            {"prompt": prompt, "model": "veo3.1-fast", "seconds": 4, "size": "1280x720"}
        )

    def test_a_prompt_that_triples_under_normalisation_is_refused(self):
        # U+FB2C is one character; NFC writes it out as three.
        prompt = "\ufb2c" * PROMPT_MAX_LENGTH
        self.assertEqual(len(unicodedata.normalize("NFC", prompt)), 3 * PROMPT_MAX_LENGTH)

        form = self.form(prompt)

        self.assertFalse(form.is_valid())
        self.assertEqual(form.errors.as_data()["prompt"][0].code, "max_length")
        self.assertIn("6000", form.errors["prompt"][0])

    def test_the_attack_through_the_page_stores_nothing(self):
        response = self.client.post(
            reverse("generations:create"),
            {"prompt": "\ufb2c" * PROMPT_MAX_LENGTH, "model": "veo3.1-fast", "seconds": 4,
             "size": "1280x720"},
        )  # fmt: skip

        self.assertEqual(response.status_code, 200)
        self.assertFalse(Generation.objects.exists())

    def test_a_prompt_at_the_limit_after_normalisation_is_kept(self):
        prompt = "e\u0301" * (PROMPT_MAX_LENGTH // 2)  # 2,000 characters, NFC makes 1,000 "é"
        form = self.form(prompt)

        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.cleaned_data["prompt"], "é" * (PROMPT_MAX_LENGTH // 2))
        self.assertTrue(self.form("a" * PROMPT_MAX_LENGTH).is_valid())


class NoStoreTests(StudioTestCase):
    def test_every_logged_in_page_and_fragment_says_no_store(self):
        generation = make_ready_generation(self.alice)
        for url in (
            reverse("generations:index"),
            reverse("generations:create"),
            generation.get_absolute_url(),
            reverse("generations:status", args=[generation.pk]),
        ):
            with self.subTest(url):
                cache_control = self.client.get(url)["Cache-Control"]
                self.assertIn("no-store", cache_control)
                self.assertIn("private", cache_control)

    def test_a_redirect_after_a_post_says_no_store_too(self):
        generation = make_ready_generation(self.alice)
        response = self.client.post(reverse("generations:check_again", args=[generation.pk]))
        self.assertIn("no-store", response["Cache-Control"])

    def test_the_video_files_keep_their_own_private_caching_checked_on_each_use(self):
        generation = make_ready_generation(self.alice)
        response = self.client.get(reverse("generations:video", args=[generation.pk]))
        self.assertEqual(response["Cache-Control"], "private, no-cache")
        self.assertTrue(response["ETag"])


class AdminFileLinkTests(StudioTestCase):
    def setUp(self):
        self.alice.is_staff = self.alice.is_superuser = True
        self.alice.save()
        super().setUp()

    def test_the_change_page_links_the_login_checked_views_and_shows_no_storage_name(self):
        generation = make_ready_generation(self.alice)

        page = self.client.get(reverse("admin:generations_generation_change", args=[generation.pk]))

        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        self.assertIn(reverse("generations:video", args=[generation.pk]), html)
        self.assertIn(reverse("generations:poster", args=[generation.pk]), html)
        self.assertNotIn(generation.video.name, html)
        self.assertNotIn(generation.poster.name, html)
        self.assertNotIn("/no-public-media/", html)
        for link in (reverse("generations:video", args=[generation.pk]),
                     reverse("generations:poster", args=[generation.pk])):  # fmt: skip
            self.assertEqual(self.client.get(link).status_code, 200)

    def test_a_job_without_files_shows_a_dash(self):
        generation = make_generation(self.alice)
        page = self.client.get(reverse("admin:generations_generation_change", args=[generation.pk]))

        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        self.assertNotIn(reverse("generations:video", args=[generation.pk]), html)
        for field in ("video_link", "poster_link", "first_frame_link"):
            shown = re.search(rf'field-{field}\b.*?<div class="readonly">(.*?)</div>', html, re.S)
            self.assertEqual(shown[1], "—", field)


FORGED = "bad prompt\n2026-12-01 09:00:00,000 INFO generations.worker generation 1: saved"


@pytest.mark.usefixtures("sim")  # CometAPI's error text comes over real HTTP
class ForgedLogLineTests(StudioTestCase):
    def test_an_upstream_newline_cannot_forge_a_log_line(self):
        self.sim.fail_next(
            "create", 400, body={"error": {"message": FORGED, "code": "invalid_request"}}
        )
        generation = make_generation(self.alice)

        with self.assertLogs("generations.worker", logging.WARNING) as logs:
            drive(generation)

        formatter = SingleLineFormatter(FORMAT)
        lines = [formatter.format(record) for record in logs.records]
        self.assertTrue(any("bad prompt\\n2026-12-01" in line for line in lines), lines)
        self.assertEqual([line for line in lines if "\n" in line], [])


class SingleLineFormatterTests(SimpleTestCase):
    def test_the_settings_use_the_single_line_formatter(self):
        root = logging.getLogger()
        formatters = {type(handler.formatter) for handler in root.handlers if handler.formatter}
        self.assertIn(SingleLineFormatter, formatters)

    def test_tracebacks_are_indented_under_their_line_and_other_breaks_escaped(self):
        formatter = SingleLineFormatter(FORMAT)
        try:
            raise ValueError(FORGED + "\u2028ERROR fake")
        except ValueError:
            exc_info = sys.exc_info()
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "step failed: %s", ("a\rb\x1b[2J",), exc_info
        )

        out = formatter.format(record).splitlines()

        self.assertTrue(out[0].endswith("step failed: a\\rb\\x1b[2J"), out[0])
        self.assertEqual(out[1], "    | Traceback (most recent call last):")
        # The forged line and the fake ERROR stay inside the traceback, under its bar.
        self.assertEqual(
            out[-3:],
            [
                "    | ValueError: bad prompt",
                "    | " + FORGED.splitlines()[1],
                "    | ERROR fake",
            ],
        )
        self.assertEqual([line for line in out[1:] if not line.startswith("    | ")], [])
