"""The Usage page: a person's month, a chart drawn on the server, the last 12 months; for
admins everyone, the team, a CSV and CometAPI's own balance (its key never shown)."""

import csv
import io
import logging
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.template import Context, Template
from django.test import TestCase, override_settings
from django.urls import reverse

from billing.ledger import month_range
from generations.models import Status
from reports.usage import Month, day_chart, month_rows

from .helpers import drive, make_generation, make_user


@pytest.mark.usefixtures("sim")
class UsagePageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob = make_user("alice"), make_user("bob")
        cls.carol = make_user("carol")
        cls.carol.is_staff = True
        cls.carol.save()

    def setUp(self):
        drive(make_generation(self.alice, seconds=8))  # $0.64 charged
        self.sim.outcome = "failed"
        drive(make_generation(self.alice, seconds=4))  # $0.32 failed, not charged
        self.sim.outcome = "completed"
        make_generation(self.alice, seconds=6)  # $0.48 reserved, waiting
        drive(make_generation(self.bob, model="veo3.1", seconds=8))  # bob: $2.56

    def test_a_person_sees_their_own_month_and_chart(self):
        self.client.force_login(self.alice)
        page = self.client.get(reverse("billing:usage"))
        self.assertContains(page, '<strong id="stat-spent">$0.64</strong>', html=True)
        self.assertContains(page, '<strong id="stat-reserved">$0.48</strong>', html=True)
        self.assertContains(page, "<strong>8 s</strong>", html=True)
        self.assertContains(page, "<strong>$0.32</strong>", html=True)  # failed, not charged
        self.assertContains(page, '<svg class="chart"')
        self.assertContains(page, ": $0.64</title>")
        self.assertEqual(page.content.decode().count("<tr><td>"), 12)  # the last 12 months
        self.assertNotContains(page, "$2.56")
        self.assertNotContains(page, "Export CSV")

    def test_a_new_charge_shows_on_the_chart_and_in_the_months_at_once(self):
        self.client.force_login(self.alice)
        page = self.client.get(reverse("billing:usage"))
        self.assertContains(page, ": $0.64</title>")  # the chart and the months, drawn and kept
        self.assertContains(page, "<td>$0.64</td>")

        drive(make_generation(self.alice, seconds=8))  # another $0.64 today

        page = self.client.get(reverse("billing:usage"))
        self.assertContains(page, ": $1.28</title>")
        self.assertContains(page, "<td>$1.28</td>")
        self.assertNotContains(page, ": $0.64</title>")

    def test_a_person_cannot_look_at_someone_else_s_usage(self):
        self.client.force_login(self.alice)
        page = self.client.get(reverse("billing:usage"), {"person": self.bob.pk})
        self.assertNotContains(page, "$2.56")
        self.assertEqual(self.client.get(reverse("billing:usage_csv")).status_code, 403)
        self.assertEqual(self.client.get(reverse("billing:quota")).status_code, 403)

    def test_an_admin_sees_everyone_and_the_team(self):
        self.client.force_login(self.carol)
        page = self.client.get(reverse("billing:usage"), {"person": "team"})
        self.assertContains(page, '<strong id="stat-spent">$3.20</strong>', html=True)
        self.assertContains(page, "Everyone this month")
        bob = self.client.get(reverse("billing:usage"), {"person": self.bob.pk})
        self.assertContains(bob, '<strong id="stat-spent">$2.56</strong>', html=True)

    def test_the_csv_lists_every_ledger_entry(self):
        self.client.force_login(self.carol)
        response = self.client.get(reverse("billing:usage_csv"))
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual(rows[0][:6], ["time", "day", "person", "job", "project", "entry"])
        kinds = sorted(row[5] for row in rows[1:])
        self.assertEqual(kinds, ["release", "reserve", "reserve", "reserve", "reserve",
                                 "settle", "settle"])  # fmt: skip

    def test_the_cometapi_balance_comes_from_the_quota_query_and_the_key_stays_hidden(self):
        self.client.force_login(self.carol)
        quota_url = f"{self.sim.base_url}/user/quota"
        with (
            override_settings(COMETAPI_QUOTA_URL=quota_url, COMETAPI_QUERY_KEY=""),
            self.assertLogs(level=logging.DEBUG) as logs,
        ):
            logging.getLogger("urllib3").info("start")  # assertLogs needs one line
            response = self.client.get(reverse("billing:quota"), headers={"HX-Request": "true"})
        self.assertContains(response, "<strong>$98.40</strong> left")
        self.assertContains(response, "$1.60 used")  # 20 s sent to the simulator
        self.assertNotContains(response, "test-key")
        # The simulator plays CometAPI, which receives the key by design; our side logs none.
        ours = [line for line in logs.output if "cometsim" not in line]
        self.assertFalse(any("test-key" in line for line in ours), ours)
        self.assertIn(("GET", "/user/quota", 200), self.sim.requests)

    def test_a_rejected_quota_key_is_said_plainly(self):
        self.client.force_login(self.carol)
        with override_settings(
            COMETAPI_QUOTA_URL=f"{self.sim.base_url}/user/quota", COMETAPI_QUERY_KEY="wrong"
        ):
            response = self.client.get(reverse("billing:quota"))
        self.assertContains(response, "The studio&#x27;s API key was rejected.")
        self.assertNotContains(response, "wrong")


class EmptyUsageTests(TestCase):
    def test_a_new_person_sees_zeroes_and_an_empty_chart(self):
        self.client.force_login(make_user("dave"))
        page = self.client.get(reverse("billing:usage"))
        self.assertContains(page, '<strong id="stat-spent">$0.00</strong>', html=True)
        self.assertContains(page, "Highest day: $0.00.")
        self.assertEqual(Status.READY, "ready")


class QuotaClientTests(TestCase):
    """The quota query in the CometAPI client module (no Django inside it)."""

    def test_a_nested_answer_in_quota_units_is_read(self):
        from unittest import mock

        from lib.cometapi import query_quota

        answer = mock.Mock(status_code=200)
        answer.json.return_value = {"data": {"quota": 40.0, "used_quota": 10.0}}
        session = mock.Mock()
        session.get.return_value = answer
        quota = query_quota("https://q.example/user/quota", "sk-secret", session=session)
        self.assertEqual((quota.total, quota.used, quota.remaining), (40.0, 10.0, 30.0))
        self.assertEqual(session.get.call_args.kwargs["params"], {"key": "sk-secret"})

    def test_an_unreachable_address_raises_without_the_key_in_the_message(self):
        from lib.cometapi import CometAPIError, query_quota

        with self.assertRaises(CometAPIError) as caught:
            query_quota("http://127.0.0.1:9/user/quota", "sk-secret", timeout=1)
        self.assertNotIn("sk-secret", str(caught.exception))
        self.assertIsNone(caught.exception.__cause__)
        self.assertTrue(caught.exception.__suppress_context__)


class UsageAddressTests(TestCase):
    def test_a_nonsense_person_is_not_found_not_an_error(self):
        carol = make_user("carol")
        carol.is_staff = True
        carol.save()
        self.client.force_login(carol)
        for wanted in ("abc", "99999", "1;drop"):
            response = self.client.get(reverse("billing:usage"), {"person": wanted})
            self.assertEqual(response.status_code, 404, wanted)


# What usage.html drew with loops before reports/usage.py wrote these parts itself.
BARS_AS_THE_TEMPLATE_DREW_THEM = """{% for bar in chart.bars %}
      <rect x="{{ bar.x }}" y="{{ bar.y }}" width="{{ bar.width }}" height="{{ bar.height }}" class="bar"><title>{{ bar.title }}</title></rect>
      {% if bar.label %}<text x="{{ bar.label_x }}" y="{{ chart.total_height }}" class="tick" text-anchor="middle">{{ bar.label }}</text>{% endif %}
    {% endfor %}"""
TICKS_AS_THE_TEMPLATE_DREW_THEM = (
    '{% load billing %}{% for tick in chart.ticks %}<line x1="{{ chart.gutter }}" '
    'y1="{{ tick.y }}" x2="{{ chart.width }}" y2="{{ tick.y }}" class="{% if forloop.first %}'
    'axis{% else %}grid{% endif %}"/><text x="{{ chart.gutter|add:\'-6\' }}" y="{{ tick.y }}" '
    'class="tick value" text-anchor="end" dominant-baseline="middle">'
    "{{ tick.amount|dollars }}</text>{% endfor %}"
)
MONTHS_AS_THE_TEMPLATE_DREW_THEM = (
    '{% load billing %}{% for m in months %}<tr><td>{{ m.first|date:"M Y" }}</td>'
    "<td>{{ m.spent|dollars }}</td><td>{{ m.seconds }}</td><td>{{ m.videos }}</td>"
    "<td>{{ m.not_charged|dollars }}</td></tr>{% endfor %}"
)


class WrittenOutChartTests(TestCase):
    def test_the_day_chart_s_bars_and_axis_are_what_the_template_drew(self):
        first, end = month_range(date(2026, 2, 1))
        spent = {date(2026, 2, 3): Decimal("12.34"), date(2026, 2, 28): Decimal("0.64")}
        for chart in (day_chart(first, end, spent), day_chart(first, end, {})):
            drawn = Template(BARS_AS_THE_TEMPLATE_DREW_THEM).render(Context({"chart": chart}))
            self.assertEqual(chart["bars_svg"], drawn)
            drawn = Template(TICKS_AS_THE_TEMPLATE_DREW_THEM).render(Context({"chart": chart}))
            self.assertEqual(chart["ticks_svg"], drawn)

    def test_the_months_rows_are_what_the_template_drew(self):
        months = [
            Month(
                date(2026, 11, 1), Decimal("1234.56"), Decimal("0.48"), Decimal("0.32"), 1208, 151
            ),
            Month(date(2026, 10, 1), Decimal("0"), Decimal("0"), Decimal("0"), 0, 0),
        ]
        drawn = Template(MONTHS_AS_THE_TEMPLATE_DREW_THEM).render(Context({"months": months}))
        self.assertEqual(month_rows(months), drawn)


class MonthNameTests(TestCase):
    @time_machine.travel("2026-11-20 12:00:00+00:00", tick=False)
    def test_the_page_names_this_month(self):
        self.client.force_login(make_user("dora"))

        page = self.client.get(reverse("billing:usage"))

        self.assertContains(page, "Spent in November</span>")
        self.assertContains(page, "<h2>Spend per day in November 2026</h2>")
