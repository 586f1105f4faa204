"""The frame written in Python (generations/frame.py) is the templates' HTML, byte for byte:
the header of templates/_header.html, its jobs pill and bell, and base.html's asset tags."""

import itertools
from unittest import mock

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template import Context, Template
from django.template.loader import get_template, render_to_string
from django.test import SimpleTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import set_script_prefix

from generations import frame
from generations.models import Role, RunningJobs, Teammate, running_ids
from generations.notifications import unread_count
from tests.helpers import StudioTestCase, make_generation, make_ready_generation, make_user

TOKEN = "Ab3" * 21 + "x"

# What base.html carried before generations/frame.py wrote it.
HEAD_TEMPLATE = """{% load assets django_htmx %}<link rel="icon" href="{% asset 'favicon.svg' %}" type="image/svg+xml">
  <link rel="stylesheet" href="{% asset 'css/app.css' %}">
  <link rel="stylesheet" href="{% asset 'css/team.css' %}">
  <link rel="stylesheet" href="{% asset 'css/reviewlinks.css' %}">
  <link rel="stylesheet" href="{% asset 'css/frames.css' %}">
  <link rel="stylesheet" href="{% asset 'css/roles.css' %}">
  <link rel="stylesheet" href="{% asset 'css/review.css' %}">
  <link rel="stylesheet" href="{% asset 'css/smaller.css' %}">
  {% htmx_script %}
  <script src="{% asset 'js/app.js' %}" defer></script>
  <script src="{% asset 'js/poll.js' %}" defer></script>
  <script src="{% asset 'js/gallery.js' %}" defer></script>
  <script src="{% asset 'js/team.js' %}" defer></script>
  {% if user.is_authenticated %}<script src="{% asset 'js/notify.js' %}" defer></script>{% endif %}
  {% if user.is_authenticated %}<link rel="stylesheet" href="{% asset 'css/inbox.css' %}"><script src="{% asset 'js/inbox.js' %}" defer></script><script src="{% asset 'js/drawing.js' %}" defer></script>{% endif %}"""


def running(*jobs: tuple[str, bool]) -> RunningJobs:
    """Jobs as (id, whether it still waits for a slot)."""
    found = RunningJobs(pk for pk, _ in jobs)
    found.waiting = sum(waits for _, waits in jobs)
    return found


RUNNING_KINDS = [
    [],
    running(),
    running(("9b2e0c1e-0000-4000-8000-000000000001", False)),
    running(("a", False), ("b", True)),
    running(("a", True), ("b", True), ("c", True)),
    running(("a&<b>", False)),
]


class HeadTests(SimpleTestCase):
    def expected(self, authenticated: bool, nonce) -> str:
        user = mock.Mock(is_authenticated=authenticated)
        return Template(HEAD_TEMPLATE).render(Context({"user": user, "csp_nonce": nonce}))

    def test_the_asset_tags_are_the_templates(self):
        for authenticated, nonce in itertools.product([True, False], [None, "n0nce-1_2"]):
            with self.subTest(authenticated=authenticated, nonce=nonce):
                self.assertEqual(
                    frame.head(authenticated, nonce), self.expected(authenticated, nonce)
                )

    def test_htmx_s_debug_script_and_the_static_url_follow_the_settings(self):
        frame.head(True, "n")  # kept before the settings change
        for changed in [{"DEBUG": True}, {"STATIC_URL": "/elsewhere/"}]:
            with self.subTest(changed), override_settings(**changed):
                self.assertEqual(frame.head(True, "n"), self.expected(True, "n"))
        self.assertEqual(frame.head(True, "n"), self.expected(True, "n"))


class PollerTests(SimpleTestCase):
    def test_the_poller_is_the_template_s(self):
        before = Template(
            "{% load gallery_tags %}{% if user.is_authenticated %}\n"
            '    <div id="poller" hidden {% poller_attributes %}></div>\n  {% endif %}'
        )
        now = Template("{% load frame %}{% frame_poller %}")
        for user in [AnonymousUser(), mock.Mock(is_authenticated=True)]:
            with self.subTest(authenticated=user.is_authenticated):
                context = Context({"user": user})
                self.assertEqual(now.render(context), before.render(context))


class PillAndBellTests(SimpleTestCase):
    def test_the_jobs_pill_is_the_template_s(self):
        for jobs in RUNNING_KINDS:
            with self.subTest(jobs=jobs, waiting=getattr(jobs, "waiting", None)):
                self.assertEqual(
                    frame.jobs_indicator(jobs),
                    render_to_string("generations/_jobs_indicator.html", {"running_jobs": jobs}),
                )

    def test_the_bell_is_the_template_s(self):
        for unread in [0, 1, 7, 99, 100, 12345]:
            with self.subTest(unread=unread):
                self.assertEqual(
                    frame.inbox_bell(unread),
                    render_to_string("inbox/_bell.html", {"inbox_unread": unread}),
                )


class HeaderTests(StudioTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.rita = make_user("rita")
        Teammate.set_role(cls.rita, Role.REVIEWER)
        cls.admin = make_user("o'neil & <co>", is_staff=True)

    def people(self):
        # Fresh objects: a person's role is kept on the object once read.
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        return [
            AnonymousUser(),
            users.get(pk=self.alice.pk),
            users.get(pk=self.rita.pk),
            users.get(pk=self.admin.pk),
        ]

    def assert_same(self, **values):
        unread = values.pop("unread")
        with mock.patch("inbox.templatetags.inbox_tags.unread_count", return_value=unread):
            expected = get_template("_header.html").render(values)
        self.assertEqual(frame.header(unread=unread, **values), expected)

    def test_every_page_s_header_is_the_template_s(self):
        pages = [
            "",
            "generations:index",
            "generations:create",
            "generations:team",
            "generations:projects",
            "batches:batches",
            "batches:detail",
            "prompts:library",
            "reviewlinks:index",
            "sequences:index",
            "generations:trash",
            "billing:usage",
            "billing:team",
            "billing:audit",
            "billing:prices",
            "generations:studio_settings",
            "password_change",
            "inbox:inbox",
        ]
        for user in self.people():
            for here in pages:
                with self.subTest(user=str(user), here=here):
                    self.assert_same(
                        user=user,
                        here=here,
                        demo_mode=False,
                        account_problem="",
                        running_jobs=RUNNING_KINDS[1],
                        unread=0,
                        csrf_token=TOKEN,
                    )

    def test_banners_jobs_bell_and_token_are_the_template_s(self):
        usual = {
            "here": "generations:index",
            "demo_mode": False,
            "account_problem": "",
            "running_jobs": RUNNING_KINDS[1],
            "unread": 0,
            "csrf_token": TOKEN,
        }
        variations = [
            {"demo_mode": True},
            {"account_problem": "CometAPI said <no> & more"},
            {"demo_mode": True, "account_problem": "Out of credit"},
            *({"running_jobs": jobs} for jobs in RUNNING_KINDS),
            *({"unread": unread} for unread in [3, 99, 150]),
            # What {% csrf_token %} writes without a token (its "NOTPROVIDED" makes Django's
            # format_html raise).
            {"csrf_token": ""},
        ]
        for changed in variations:
            for user in self.people():
                with self.subTest(user=str(user), **changed):
                    self.assert_same(user=user, **(usual | changed))

    def test_under_a_script_prefix_too(self):
        set_script_prefix("/studio/")
        try:
            for user in self.people():
                with self.subTest(user=str(user)):
                    self.assert_same(
                        user=user,
                        here="generations:team",
                        demo_mode=False,
                        account_problem="",
                        running_jobs=RUNNING_KINDS[3],
                        unread=2,
                        csrf_token=TOKEN,
                    )
        finally:
            set_script_prefix("/")

    def test_a_page_carries_the_header_with_the_person_s_own_bell_and_jobs(self):
        answer = self.client.get("/trash/")
        html = answer.content.decode()
        user = answer.wsgi_request.user
        expected = frame.header(
            user=user,
            here="generations:trash",
            demo_mode=answer.context["demo_mode"],
            account_problem="",
            running_jobs=[],
            unread=0,
            csrf_token=answer.context["csrf_token"],
        )
        self.assertIn(expected, html)
        self.assertIn('<a href="/trash/" aria-current="page">Trash</a>', html)


class PersonNewsTests(StudioTestCase):
    """The header's one query answers what its two did: the person's running jobs
    (`running_ids`) and their unread count (`unread_count`), whichever of them is empty."""

    def assert_same_as_the_two_queries(self, person):
        news = frame.person_news(person)
        self.assertEqual(news.running, running_ids(person))
        self.assertEqual(news.running.waiting, running_ids(person).waiting)
        self.assertEqual(news.unread, unread_count(person))

    def test_with_nothing_either_or_both(self):
        from generations.models import Notification, NotificationKind, Status
        from generations.notifications import notify

        admin = make_user("ada", is_staff=True)
        people = [self.alice, self.bob, admin]
        for person in people:
            with self.subTest("nothing", person=person.username):
                self.assert_same_as_the_two_queries(person)

        private = make_ready_generation(self.alice)
        notify(people, NotificationKind.MENTION, "no video")
        notify(people, NotificationKind.SHARED, "about a private one", generation=private)
        Notification.objects.filter(recipient=self.bob, text="no video").update(
            read_at=private.created_at
        )
        for person in people:
            with self.subTest("unread only", person=person.username):
                self.assert_same_as_the_two_queries(person)

        waiting = make_generation(self.alice)
        sent = make_generation(self.bob)
        sent.status = Status.RENDERING
        sent.save()
        make_generation(self.bob)
        for person in people:
            with self.subTest("both", person=person.username):
                self.assert_same_as_the_two_queries(person)
        self.assertEqual(frame.person_news(self.alice).running, [str(waiting.pk)])
        self.assertEqual(frame.person_news(self.alice).unread, 2)
        self.assertEqual(frame.person_news(self.bob).running.waiting, 1)
        self.assertEqual(frame.person_news(self.bob).unread, 0)  # can't see Alice's video

    def test_an_inactive_person_has_no_bell(self):
        from generations.models import NotificationKind
        from generations.notifications import notify

        notify([self.bob], NotificationKind.MENTION, "hello")
        self.bob.is_active = False
        self.assertEqual(frame.person_news(self.bob).unread, 0)
        self.assertEqual(unread_count(self.bob), 0)

    def test_a_page_asks_one_query_for_the_pill_and_the_bell(self):
        make_generation(self.alice)
        with CaptureQueriesContext(connection) as asked:
            response = self.client.get("/trash/")
        self.assertContains(response, '<span class="jobs-waiting-count">1</span>')
        about_news = [q["sql"] for q in asked if "generations_notification" in q["sql"]]
        self.assertEqual(len(about_news), 1)
        self.assertIn("one_row", about_news[0])
