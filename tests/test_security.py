"""What an attacker, a curious log reader or a careless deploy could get out of VeoStudio:
guessed passwords, injected scripts, a leaked API key, crafted file names, forged POSTs."""

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.utils import get_random_secret_key
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from generations import worker
from generations.models import Generation, Status
from tests.factories_media import png_bytes
from tests.helpers import drive, make_generation, make_ready_generation, make_user

LOGIN_URL = reverse("login")
LOGOUT_URL = reverse("logout")
INDEX_URL = reverse("generations:index")
CREATE_URL = reverse("generations:create")
PASSWORD = "correct horse battery"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
BASE_DIR = Path(settings.BASE_DIR)


# --- log-in brute force --------------------------------------------------------------


@override_settings(PASSWORD_HASHERS=FAST_HASHER)
class LoginBruteForceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice", PASSWORD)
        cls.bob = make_user("bob", PASSWORD)

    def attempt(self, username, password, ip="203.0.113.7"):
        return self.client.post(
            LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip
        )

    def fail_five_times(self, username="alice", ip="203.0.113.7"):
        responses = [self.attempt(username, "wrong password", ip) for _ in range(5)]
        # The first four are ordinary "wrong password" answers on the log-in form;
        # the fifth reaches the limit and already answers with the locked-out page.
        for response in responses[:4]:
            self.assertEqual(response.status_code, 200)
            self.assertTemplateUsed(response, "registration/login.html")
            self.assertFalse(response.context["form"].is_valid())
        self.assertEqual(responses[4].status_code, 429)
        return responses

    def assertLockedOut(self, response):
        self.assertEqual(response.status_code, 429)
        self.assertTemplateUsed(response, "registration/locked_out.html")
        self.assertContains(response, "Too many failed log-ins", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def assertLoggedInAs(self, response, user):
        self.assertRedirects(response, INDEX_URL, fetch_redirect_response=False)
        self.assertEqual(self.client.session["_auth_user_id"], str(user.pk))

    def test_five_wrong_passwords_lock_even_the_right_password_out(self):
        self.fail_five_times()

        response = self.attempt("alice", PASSWORD)

        self.assertLockedOut(response)

    def test_the_locked_out_page_is_a_friendly_page_not_an_error(self):
        self.fail_five_times()

        response = self.attempt("alice", PASSWORD)

        self.assertContains(response, "Back to log in", status_code=429)
        self.assertContains(response, LOGIN_URL, status_code=429)
        self.assertNotContains(response, "Traceback", status_code=429)

    def test_another_username_from_the_same_address_can_still_log_in(self):
        self.fail_five_times("alice")

        response = self.attempt("bob", PASSWORD)

        self.assertLoggedInAs(response, self.bob)

    def test_the_same_username_from_another_address_can_still_log_in(self):
        # Locking by username and address together: a stranger cannot lock alice out.
        self.fail_five_times("alice", ip="203.0.113.7")

        response = self.attempt("alice", PASSWORD, ip="198.51.100.20")

        self.assertLoggedInAs(response, self.alice)

    def test_the_lock_lifts_after_the_cool_off(self):
        self.fail_five_times()
        self.assertLockedOut(self.attempt("alice", PASSWORD))

        with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
            response = self.attempt("alice", PASSWORD)

        self.assertLoggedInAs(response, self.alice)

    def test_the_lock_still_holds_before_the_cool_off_ends(self):
        self.fail_five_times()

        with time_machine.travel(timezone.now() + timedelta(minutes=14), tick=False):
            response = self.attempt("alice", PASSWORD)

        self.assertLockedOut(response)

    def test_four_wrong_passwords_do_not_lock_anyone_out(self):
        for _ in range(4):
            self.attempt("alice", "wrong password")

        response = self.attempt("alice", PASSWORD)

        self.assertLoggedInAs(response, self.alice)


# --- headers and inline code ------------------------------------------------------------


class _InlineCodeFinder(HTMLParser):
    """Collect everything a strict CSP would block: inline scripts, style blocks and
    attributes, and on* event handlers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_inline_script = False
        self.script_srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): value for name, value in attrs}
        if tag == "script":
            if names.get("src"):
                self.script_srcs.append(names["src"])
            else:
                self.problems.append(f"inline <script> {attrs!r}")
        if tag == "style":
            self.problems.append("inline <style> block")
        for name in names:
            if name == "style":
                self.problems.append(f"style= on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")


def inline_code_in(html: str) -> list[str]:
    finder = _InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


@override_settings(PASSWORD_HASHERS=FAST_HASHER)
class SecurityHeaderTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice", PASSWORD)
        cls.ready = make_ready_generation(cls.alice, prompt="A ready <b>kite</b>")
        cls.failed = make_generation(cls.alice, prompt="A failed kite")
        cls.failed.mark_failed("CometAPI refused this request: <script>x()</script>", "x")
        cls.failed.save()
        cls.active = make_generation(cls.alice, prompt="A kite still rendering")

    def setUp(self):
        self.client.force_login(self.alice)

    def pages(self):
        return {
            "index": INDEX_URL,
            "create": CREATE_URL,
            "detail of a ready job": self.ready.get_absolute_url(),
            "detail of a failed job": self.failed.get_absolute_url(),
            "detail of an active job": self.active.get_absolute_url(),
        }

    def test_a_logged_in_page_carries_a_strict_content_security_policy(self):
        response = self.client.get(INDEX_URL)

        header = response.headers["Content-Security-Policy"]
        directives = csp_directives(header)
        self.assertEqual(directives["script-src"], ["'self'"])
        self.assertNotIn("'unsafe-inline'", header)
        self.assertNotIn("'unsafe-eval'", header)
        self.assertIn("'none'", directives["frame-ancestors"])
        self.assertEqual(directives["object-src"], ["'none'"])

    def test_a_logged_in_page_forbids_sniffing_and_framing(self):
        response = self.client.get(INDEX_URL)

        self.assertEqual(response.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response.headers["X-Frame-Options"], "DENY")
        self.assertEqual(response.headers["Referrer-Policy"], "same-origin")

    def test_every_page_has_the_headers(self):
        pages = [(label, self.client, url) for label, url in self.pages().items()]
        for label, client, url in [("login", Client(), LOGIN_URL), *pages]:
            with self.subTest(label):
                response = client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn("script-src 'self'", response.headers["Content-Security-Policy"])
                self.assertEqual(response.headers["X-Content-Type-Options"], "nosniff")
                self.assertEqual(response.headers["X-Frame-Options"], "DENY")

    def test_no_page_has_inline_scripts_styles_or_event_handlers(self):
        for label, url in self.pages().items():
            with self.subTest(label):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(inline_code_in(response.content.decode()), [])

    def test_the_inline_code_finder_catches_what_a_strict_policy_blocks(self):
        html = (
            '<script src="/a.js"></script><script>alert(1)</script><style>p{}</style>'
            '<p style="color:red" onclick="x()">x</p><img src="x" onerror="y()" hx-get="/">'
        )
        self.assertEqual(len(inline_code_in(html)), 5)

    def test_the_pages_do_load_their_scripts_from_files(self):
        # Guards the parser above: a page with no <script> at all would pass trivially.
        finder = _InlineCodeFinder()
        finder.feed(self.client.get(INDEX_URL).content.decode())
        self.assertTrue(any(src.endswith(".js") for src in finder.script_srcs))

    def test_the_login_page_has_no_inline_code(self):
        response = Client().get(LOGIN_URL)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(inline_code_in(response.content.decode()), [])

    def test_a_failed_form_has_no_inline_code(self):
        response = self.client.post(CREATE_URL, {"prompt": "", "model": "nope"})

        self.assertEqual(response.status_code, 200)
        self.assertEqual(inline_code_in(response.content.decode()), [])

    def test_the_status_fragments_have_no_inline_code(self):
        for generation in (self.ready, self.failed, self.active):
            for query in ("", "?view=card"):
                with self.subTest(status=generation.status, query=query):
                    url = reverse("generations:status", args=[generation.pk]) + query
                    response = self.client.get(url, headers={"HX-Request": "true"})
                    self.assertIn(response.status_code, (200, 286))
                    self.assertEqual(inline_code_in(response.content.decode()), [])

    def test_text_from_cometapi_is_escaped_not_run(self):
        response = self.client.get(self.failed.get_absolute_url())

        self.assertNotContains(response, "<script>x()</script>")
        self.assertContains(response, "&lt;script&gt;x()&lt;/script&gt;")

    def test_the_locked_out_page_has_no_inline_code(self):
        client = Client()
        for _ in range(5):
            client.post(LOGIN_URL, {"username": "alice", "password": "nope"})

        response = client.post(LOGIN_URL, {"username": "alice", "password": PASSWORD})

        self.assertEqual(response.status_code, 429)
        self.assertEqual(inline_code_in(response.content.decode()), [])


# --- production settings ----------------------------------------------------------------


def production_env(**extra) -> dict[str, str]:
    """A clean environment, nothing inherited from the test run (which sets its own)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "false",
        "SECURE_HTTPS": "true",
        "SECRET_KEY": get_random_secret_key(),
        "ALLOWED_HOSTS": "studio.example.com",
        "VEOSTUDIO_SKIP_DOTENV": "1",
        **extra,
    }


def test_the_deploy_checklist_passes_with_production_settings():
    env = production_env()
    assert len(env["SECRET_KEY"]) == 50

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_make_cookies_secure_and_turn_on_hsts():
    script = (
        "import json, os\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'veostudio.settings'\n"
        "from django.conf import settings\n"
        "names = ['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS',\n"
        "         'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_HTTPONLY', 'ALLOWED_HOSTS']\n"
        "print(json.dumps({name: getattr(settings, name) for name in names}))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] > 0
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["ALLOWED_HOSTS"] == ["studio.example.com"]


# --- the API key never leaks --------------------------------------------------------------

SECRET_KEY_VALUE = "sk-very-secret-key-123"


@pytest.fixture
def secret_simulator(simulator):
    """The simulator, with the app holding a secret key; the simulator still wants
    "test-key" until a test says otherwise, so by default the key is rejected (401)."""
    with override_settings(COMETAPI_KEY=SECRET_KEY_VALUE):
        try:
            yield simulator
        finally:
            simulator.api_key = "test-key"


def _run_every_kind_of_job(sim, owner) -> dict[str, Generation]:
    jobs = {}

    sim.api_key = SECRET_KEY_VALUE
    jobs["success"] = drive(make_generation(owner, prompt="success"))

    sim.fail_next("create", 500, times=20)
    jobs["500 exhaustion"] = drive(make_generation(owner, prompt="500 exhaustion"))
    sim.reset()

    sim.html_next("create")
    jobs["html answer"] = drive(make_generation(owner, prompt="html answer"))

    with override_settings(COMETAPI_READ_TIMEOUT=0.3):
        sim.hang_next("create", 1.0)
        jobs["timeout on submit"] = drive(make_generation(owner, prompt="timeout on submit"))
        sim.hang_next("retrieve", 1.0, times=20)
        jobs["timeout on poll"] = drive(make_generation(owner, prompt="timeout on poll"))
        sim.reset()

    sim.api_key = "test-key"  # CometAPI no longer knows our key
    jobs["401"] = drive(make_generation(owner, prompt="401"))
    return jobs


@pytest.mark.django_db
def test_the_api_key_appears_nowhere(secret_simulator, caplog, client, subtests):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    alice = make_user("alice", PASSWORD)

    jobs = _run_every_kind_of_job(secret_simulator, alice)

    # The runs really went the ways they were meant to.
    assert jobs["success"].status == Status.READY
    assert jobs["500 exhaustion"].status == Status.FAILED
    assert "server problems" in jobs["500 exhaustion"].failure_reason
    assert jobs["html answer"].status == Status.FAILED
    assert jobs["timeout on submit"].status == Status.UNCERTAIN
    assert jobs["timeout on poll"].status == Status.FAILED
    assert jobs["401"].status == Status.FAILED
    assert "API key was rejected" in jobs["401"].failure_reason
    assert jobs["401"].error_code.startswith("auth:401")
    assert any(r.name.startswith("urllib3") for r in caplog.records), "no HTTP was logged"

    with subtests.test("logs"):
        assert SECRET_KEY_VALUE not in caplog.text
        for record in caplog.records:
            assert SECRET_KEY_VALUE not in record.getMessage()
            assert SECRET_KEY_VALUE not in (record.exc_text or "")

    with subtests.test("job records"):
        for generation in Generation.objects.all():
            for field in ("failure_reason", "error_code", "task_id", "video_url", "prompt"):
                assert SECRET_KEY_VALUE not in getattr(generation, field), field

    client.force_login(alice)
    with subtests.test("the 401 job tells the user, without the key"):
        response = client.get(jobs["401"].get_absolute_url())
        page = response.content.decode()
        assert "API key was rejected" in page
        assert SECRET_KEY_VALUE not in page

    with subtests.test("user pages"):
        urls = [INDEX_URL, CREATE_URL]
        for generation in jobs.values():
            status_url = reverse("generations:status", args=[generation.pk])
            urls += [generation.get_absolute_url(), status_url, status_url + "?view=card"]
        for url in urls:
            response = client.get(url, headers={"HX-Request": "true"} if "status" in url else {})
            assert response.status_code in (200, 286), url
            assert SECRET_KEY_VALUE not in response.content.decode(), url

    with subtests.test("admin"):
        get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
        admin = Client()
        admin.force_login(get_user_model().objects.get(username="root"))
        urls = [
            reverse("admin:generations_generation_changelist"),
            reverse("admin:generations_generation_changelist") + "?q=sk-",
        ]
        urls += [reverse("admin:generations_generation_change", args=[g.pk]) for g in jobs.values()]
        for url in urls:
            response = admin.get(url)
            assert response.status_code == 200, url
            assert SECRET_KEY_VALUE not in response.content.decode(), url

    with subtests.test("client repr"):
        api = worker.get_client()
        assert api.api_key == SECRET_KEY_VALUE  # the key is there, just never shown
        assert SECRET_KEY_VALUE not in repr(api)
        assert SECRET_KEY_VALUE not in str(api)


# --- server-chosen file names -------------------------------------------------------------

_BOUNDARY = "veostudio-test-boundary-7d41"
_STORED_NAME = {
    "first_frame": re.compile(r"^first-frames/[0-9a-f]{32}\.jpg$"),
    "first_frame_thumbnail": re.compile(r"^thumbnails/[0-9a-f]{32}\.jpg$"),
}


def multipart_with_raw_filename(fields: dict[str, str], filename: bytes, data: bytes) -> bytes:
    """The test client strips directories from file names; a browser or a script may not."""
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    parts.append(
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="first_frame"; '.encode()
        + b'filename="'
        + filename
        + b'"\r\nContent-Type: image/png\r\n\r\n'
        + data
        + b"\r\n"
    )
    parts.append(f"--{_BOUNDARY}--\r\n".encode())
    return b"".join(parts)


@override_settings(PASSWORD_HASHERS=FAST_HASHER)
class ServerChosenFileNameTests(TestCase):
    HOSTILE_NAMES = {
        "path traversal": b"../../evil.png",
        "absolute path": b"/tmp/evil-absolute.png",
        "windows traversal": b"..\\..\\evil-windows.png",
        "NUL byte": b"evil\x00.png",
        "reserved Windows name": b"con.png",
        "300 characters": b"a" * 296 + b".png",
    }

    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice", PASSWORD)

    def setUp(self):
        self.client.force_login(self.alice)
        # Nested deep in a fresh directory, so a traversal would land somewhere we can see.
        self.sandbox = Path(tempfile.mkdtemp(prefix="veostudio-names-"))
        self.media_root = self.sandbox / "outer" / "inner" / "media"
        self.media_root.mkdir(parents=True)
        media = override_settings(MEDIA_ROOT=str(self.media_root))
        media.enable()
        self.addCleanup(media.disable)

    def upload(self, filename: bytes):
        fields = {
            # A different prompt each time, or the second upload counts as a repeat.
            "prompt": f"A kite from my photo {uuid.uuid4()}",
            "model": "veo3.1-fast",
            "seconds": "4",
            "size": "1280x720",
            "client_token": str(uuid.uuid4()),
        }
        body = multipart_with_raw_filename(fields, filename, png_bytes(320, 180))
        return self.client.post(
            CREATE_URL, data=body, content_type=f"multipart/form-data; boundary={_BOUNDARY}"
        )

    def test_hostile_file_names_never_become_part_of_a_path(self):
        before = set(BASE_DIR.iterdir())
        for label, filename in self.HOSTILE_NAMES.items():
            with self.subTest(label):
                response = self.upload(filename)
                self.assertEqual(response.status_code, 302)
                generation = Generation.objects.latest("created_at")
                self.assertRedirects(
                    response, generation.get_absolute_url(), fetch_redirect_response=False
                )
                for field, pattern in _STORED_NAME.items():
                    name = getattr(generation, field).name
                    self.assertRegex(name, pattern)
                    self.assertTrue((self.media_root / name).is_file())
        self.assertEqual(Generation.objects.count(), len(self.HOSTILE_NAMES))

        written = [p for p in self.sandbox.rglob("*") if p.is_file()]
        outside = [p for p in written if not p.is_relative_to(self.media_root)]
        self.assertEqual(outside, [])
        for path in written:
            name = path.relative_to(self.media_root).as_posix()
            self.assertTrue(any(p.match(name) for p in _STORED_NAME.values()), name)
        self.assertEqual(len(written), 2 * len(self.HOSTILE_NAMES))
        self.assertEqual(set(BASE_DIR.iterdir()), before)
        self.assertFalse(Path("/tmp/evil-absolute.png").exists())


# --- CSRF ---------------------------------------------------------------------------------


@override_settings(PASSWORD_HASHERS=FAST_HASHER)
class CsrfTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice", PASSWORD)

    def setUp(self):
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(self.alice)

    def ended_job(self, status=Status.FAILED):
        generation = make_generation(self.alice)
        if status == Status.TIMED_OUT:
            generation.mark_timed_out()
        else:
            generation.mark_failed("CometAPI kept having server problems.", "server:500")
        generation.save()
        return generation

    def snapshot(self, generation):
        generation.refresh_from_db()
        return (
            generation.status,
            generation.failure_reason,
            generation.attempts,
            generation.next_action_at,
        )

    def test_a_forged_create_is_refused_and_starts_nothing(self):
        response = self.client.post(
            CREATE_URL,
            {"prompt": "A forged kite", "model": "veo3.1-fast", "seconds": "4", "size": "1280x720"},
        )

        self.assertEqual(response.status_code, 403)
        self.assertFalse(Generation.objects.exists())

    def test_a_forged_delete_is_refused_and_deletes_nothing(self):
        generation = self.ended_job()

        response = self.client.post(reverse("generations:delete", args=[generation.pk]))

        self.assertEqual(response.status_code, 403)
        self.assertTrue(Generation.objects.filter(pk=generation.pk).exists())

    def test_a_forged_check_again_is_refused_and_changes_nothing(self):
        generation = self.ended_job(Status.TIMED_OUT)
        self.assertTrue(generation.can_check_again)
        before = self.snapshot(generation)

        response = self.client.post(reverse("generations:check_again", args=[generation.pk]))

        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.snapshot(generation), before)

    def test_a_forged_submit_again_is_refused_and_changes_nothing(self):
        generation = self.ended_job()
        self.assertTrue(generation.can_submit_again)
        before = self.snapshot(generation)

        response = self.client.post(reverse("generations:submit_again", args=[generation.pk]))

        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.snapshot(generation), before)

    def test_a_forged_logout_is_refused_and_the_user_stays_logged_in(self):
        response = self.client.post(LOGOUT_URL)

        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.session["_auth_user_id"], str(self.alice.pk))
        self.assertEqual(self.client.get(INDEX_URL).status_code, 200)

    def test_the_same_posts_with_the_token_do_work(self):
        # Guards the tests above: the 403s come from the missing token, nothing else.
        generation = self.ended_job()
        page = self.client.get(generation.get_absolute_url())
        token = page.context["csrf_token"]

        response = self.client.post(
            reverse("generations:delete", args=[generation.pk]),
            {"csrfmiddlewaretoken": str(token)},
        )

        self.assertRedirects(response, INDEX_URL, fetch_redirect_response=False)
        generation.refresh_from_db()
        self.assertTrue(generation.in_trash)
