"""Every CSV the studio exports is only data.

A stranger types a formula as the user name at the login form; a teammate is called `+cmd`.
The admin downloads the audit log and the usage ledger and opens them in a spreadsheet: no
cell may start a formula, and amounts still read as numbers."""

import csv
import io
from decimal import Decimal, InvalidOperation

import pytest
from django.test import TestCase
from django.urls import reverse

from billing.models import AuditEntry, LedgerEntry
from lib.csvfile import FORMULA_STARTS, cell

from .helpers import drive, make_generation, make_user

STRANGER_NAMES = ['=HYPERLINK("http://x")', "@SUM(1)"]


def is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


class FormulaCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = make_user("carol", is_staff=True)
        cls.plus = make_user("+cmd")

    def setUp(self):
        stranger = self.client_class()
        for name in [*STRANGER_NAMES, "+cmd"]:
            page = stranger.post(reverse("login"), {"username": name, "password": "guess"})
            self.assertEqual(page.status_code, 200)  # the form again, with its error
        self.client.force_login(self.admin)

    def download(self, url_name: str) -> list[list[str]]:
        response = self.client.get(reverse(url_name))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        return list(csv.reader(io.StringIO(response.content.decode())))

    def assertOnlyData(self, rows: list[list[str]]) -> None:
        for row in rows:
            for value in row:
                if value.startswith(FORMULA_STARTS):
                    self.assertTrue(is_number(value), f"{value!r} would run as a formula")


class AuditCsvTests(FormulaCase):
    def test_names_typed_at_the_login_form_arrive_as_text(self):
        rows = self.download("billing:audit_csv")

        self.assertOnlyData(rows)
        failed = [row for row in rows if row[2] == "failed login"]
        self.assertCountEqual(
            [row[1] for row in failed],
            ['\'=HYPERLINK("http://x")', "'@SUM(1)", "'+cmd"],
        )
        about_plus = [row for row in failed if row[1] == "'+cmd"]
        self.assertEqual(about_plus[0][3], "'+cmd")  # the "about" column names the person

    def test_a_detail_that_starts_like_a_formula_is_guarded_and_amounts_stay_numbers(self):
        AuditEntry.record(
            "price_changed",
            actor=self.admin,
            subject=self.plus,
            detail="-1+1",
            amount=Decimal("-0.32"),
        )
        rows = self.download("billing:audit_csv")

        self.assertOnlyData(rows)
        changed = next(row for row in rows if row[2] == "changed a price")
        self.assertEqual(changed[1:5], ["carol", "changed a price", "'+cmd", "'-1+1"])
        self.assertEqual(Decimal(changed[5]), Decimal("-0.32"))


@pytest.mark.usefixtures("sim")  # a real fake CometAPI on loopback renders the job
class UsageCsvTests(FormulaCase):
    def test_the_person_column_is_text_and_the_money_columns_are_numbers(self):
        drive(make_generation(self.plus, seconds=4))  # reserved, then settled

        rows = self.download("billing:usage_csv")

        self.assertOnlyData(rows)
        header, body = rows[0], rows[1:]
        self.assertEqual(len(body), LedgerEntry.objects.count())
        self.assertEqual({row[header.index("person")] for row in body}, {"'+cmd"})
        settle = next(row for row in body if row[header.index("entry")] == "settle")
        for column in ("amount", "charged change"):
            self.assertTrue(is_number(settle[header.index(column)]), settle)
        release = [row for row in body if row[header.index("reserved change")].startswith("-")]
        self.assertTrue(release, "a settled job's reservation goes down: a negative number")
        for row in release:
            self.assertTrue(is_number(row[header.index("reserved change")]))


class CellTests(TestCase):
    def test_every_formula_start_is_guarded_and_numbers_are_left_alone(self):
        for text in ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"]:
            self.assertEqual(cell(text), "'" + text)
        self.assertEqual(cell("a plain kite"), "a plain kite")
        self.assertEqual(cell(Decimal("-0.32")), Decimal("-0.32"))
        self.assertEqual(cell(-4), -4)
        self.assertEqual(cell(None), "")
