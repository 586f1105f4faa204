"""Security headers on every page, and pages that need nothing a strict Content Security
Policy would block: no inline scripts, style blocks or attributes, no on* handlers."""

from html.parser import HTMLParser

from django.test import Client
from django.urls import reverse

from tests.helpers import PASSWORD, StudioTestCase, make_generation, make_ready_generation

LOGIN_URL = reverse("login")
INDEX_URL = reverse("generations:index")
CREATE_URL = reverse("generations:create")


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


class PagesTestCase(StudioTestCase):
    """Alice's pages in every state a job can show: ready, failed and still rendering."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.ready = make_ready_generation(cls.alice, prompt="A ready <b>kite</b>")
        cls.failed = make_generation(cls.alice, prompt="A failed kite")
        cls.failed.mark_failed("CometAPI refused this request: <script>x()</script>", "x")
        cls.failed.save()
        cls.active = make_generation(cls.alice, prompt="A kite still rendering")

    def pages(self):
        return {
            "index": INDEX_URL,
            "create": CREATE_URL,
            "detail of a ready job": self.ready.get_absolute_url(),
            "detail of a failed job": self.failed.get_absolute_url(),
            "detail of an active job": self.active.get_absolute_url(),
        }


class SecurityHeaderTests(PagesTestCase):
    def test_it_gives_a_logged_in_page_a_strict_content_security_policy(self):
        response = self.client.get(INDEX_URL)

        header = response.headers["Content-Security-Policy"]
        directives = csp_directives(header)
        self.assertEqual(directives["script-src"], ["'self'"])
        self.assertNotIn("'unsafe-inline'", header)
        self.assertNotIn("'unsafe-eval'", header)
        self.assertIn("'none'", directives["frame-ancestors"])
        self.assertEqual(directives["object-src"], ["'none'"])

    def test_it_forbids_sniffing_and_framing_a_logged_in_page(self):
        response = self.client.get(INDEX_URL)

        self.assertEqual(response.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response.headers["X-Frame-Options"], "DENY")
        self.assertEqual(response.headers["Referrer-Policy"], "same-origin")

    def test_it_sends_the_headers_with_every_page(self):
        pages = [(label, self.client, url) for label, url in self.pages().items()]
        for label, client, url in [("login", Client(), LOGIN_URL), *pages]:
            with self.subTest(label):
                response = client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn("script-src 'self'", response.headers["Content-Security-Policy"])
                self.assertEqual(response.headers["X-Content-Type-Options"], "nosniff")
                self.assertEqual(response.headers["X-Frame-Options"], "DENY")


class InlineCodeTests(PagesTestCase):
    def test_it_finds_no_inline_scripts_styles_or_event_handlers_on_any_page(self):
        for label, url in self.pages().items():
            with self.subTest(label):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(inline_code_in(response.content.decode()), [])

    def test_it_catches_what_a_strict_policy_blocks(self):
        html = (
            '<script src="/a.js"></script><script>alert(1)</script><style>p{}</style>'
            '<p style="color:red" onclick="x()">x</p><img src="x" onerror="y()" hx-get="/">'
        )
        self.assertEqual(len(inline_code_in(html)), 5)

    def test_it_sees_the_pages_load_their_scripts_from_files(self):
        # Guards the finder: a page with no <script> at all would pass trivially.
        finder = _InlineCodeFinder()
        finder.feed(self.client.get(INDEX_URL).content.decode())
        self.assertTrue(any(src.endswith(".js") for src in finder.script_srcs))

    def test_it_finds_none_on_the_login_page(self):
        response = Client().get(LOGIN_URL)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(inline_code_in(response.content.decode()), [])

    def test_it_finds_none_on_a_failed_form(self):
        response = self.client.post(CREATE_URL, {"prompt": "", "model": "nope"})

        self.assertEqual(response.status_code, 200)
        self.assertEqual(inline_code_in(response.content.decode()), [])

    def test_it_finds_none_in_the_status_fragments(self):
        for generation in (self.ready, self.failed, self.active):
            for query in ("", "?view=card"):
                with self.subTest(status=generation.status, query=query):
                    url = reverse("generations:status", args=[generation.pk]) + query
                    response = self.client.get(url, headers={"HX-Request": "true"})
                    ended = not generation.is_active  # htmx is told to stop polling
                    self.assertEqual(response.status_code, 286 if ended else 200)
                    self.assertEqual(inline_code_in(response.content.decode()), [])

    def test_it_finds_none_on_the_locked_out_page(self):
        client = Client()
        for _ in range(5):
            client.post(LOGIN_URL, {"username": "alice", "password": "nope"})

        response = client.post(LOGIN_URL, {"username": "alice", "password": PASSWORD})

        self.assertEqual(response.status_code, 429)
        self.assertEqual(inline_code_in(response.content.decode()), [])
