"""The Usage page's and the New video form's reads asked together in one round trip
(lib/prepared.py `side_by_side`, `asked_together`) answer what the separate reads
answer."""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.ledger import month_range, month_totals, studio_day
from billing.models import STUDIO_ROW, EntryKind, LedgerEntry, Member, Price, StudioSettings
from generations import price_box
from generations.forms import (
    LAST_PROJECT,
    last_project_of,
    new_form_reads,
    usable_project_choices,
)
from generations.models import Project, Role, Teammate
from lib.prepared import side_by_side
from prompts.models import (
    Preset,
    Scope,
    StyleBlock,
    preset_choices,
    presets_and_blocks,
    style_blocks,
)
from reports import usage
from veo.catalogue import Tier, VideoModel

from .helpers import StudioTestCase, make_generation, make_user


def _entry(person, day, reserved="0", charged="0", kind=EntryKind.RESERVE, **fields):
    return LedgerEntry.objects.create(
        person=person,
        generation_ref=uuid.uuid4(),
        kind=kind,
        rate=Decimal("0.1"),
        seconds=4,
        amount=Decimal(reserved) + Decimal(charged),
        reserved=Decimal(reserved),
        charged=Decimal(charged),
        day=day,
        **fields,
    )


def _fields(obj) -> dict:
    return {f.attname: repr(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


class SideBySideTests(StudioTestCase):
    def test_a_statement_without_rows_hides_none_of_the_others(self):
        nobody = 0
        StudioSettings.load()
        days, (studio, newest) = side_by_side(
            usage.PERSON_DAYS.statement(nobody, studio_day(), studio_day()),
            STUDIO_ROW.statement(1),
            LAST_PROJECT.statement(self.alice.pk),
        )
        self.assertEqual(days, [])
        self.assertIsNone(newest)  # Alice has no video yet
        self.assertIsNotNone(studio)

    def test_the_many_rows_come_back_each_once(self):
        today = studio_day()
        first = month_range(today)[0]
        for day in {first, today}:
            _entry(self.alice, day, charged="1.5")
        days, (member,) = side_by_side(
            usage.PERSON_DAYS.statement(self.alice.pk, first, month_range(today)[1]),
            price_box.MEMBER.statement(self.alice.pk),
        )
        expected = usage.PERSON_DAYS.rows(self.alice.pk, first, month_range(today)[1])
        self.assertEqual(sorted(days), sorted(expected))
        self.assertEqual(member is not None, Member.objects.filter(user=self.alice).exists())


class PersonUsageTests(StudioTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.admin = make_user("ada", is_staff=True)
        today = studio_day()
        last_month = month_range(today)[0] - timedelta(days=3)
        _entry(cls.alice, today, reserved="0.0001", charged="1.2345")
        _entry(cls.alice, today, reserved="2.5")
        _entry(cls.alice, month_range(today)[0], charged="0.3333", kind=EntryKind.SETTLE)
        _entry(cls.bob, today, charged="7.1")
        _entry(cls.alice, last_month, reserved="100", charged="100")

    def assert_as_separate_reads(self, person, verdicts_for):
        read = usage.person_usage(person, verdicts_for)
        history = usage.history(person)
        self.assertEqual(read.history, history)
        expected = usage.standing(person, history.month)
        self.assertEqual(read.standing, expected)
        self.assertEqual(read.awaiting_verdicts, bool(usage.open_reservations(verdicts_for)))

    def test_it_answers_what_the_separate_reads_answer(self):
        for person in (self.alice, self.bob, self.admin):
            for verdicts_for in (person, None):
                with self.subTest(person=person.username, verdicts_for=verdicts_for):
                    self.assert_as_separate_reads(person, verdicts_for)

    def test_it_makes_the_cap_row_and_the_studio_s_when_missing(self):
        Member.objects.filter(user=self.alice).delete()
        StudioSettings.objects.all().delete()
        read = usage.person_usage(self.alice)
        self.assertTrue(Member.objects.filter(user=self.alice).exists())
        self.assertTrue(StudioSettings.objects.filter(pk=1).exists())
        self.assertEqual(read.standing, usage.standing(self.alice, read.history.month))

    def test_the_caps_are_the_orm_s_to_the_ten_thousandth(self):
        Member.for_user(self.alice)
        Member.objects.filter(user=self.alice).update(monthly_cap=Decimal("12.3456"))
        StudioSettings.load()
        StudioSettings.objects.filter(pk=1).update(team_cap=Decimal("1234.5678"))
        read = usage.person_usage(self.alice)
        self.assertEqual(str(read.standing.cap), "12.3456")
        self.assertEqual(str(read.standing.team_cap), "1234.5678")
        self.assertEqual(str(read.history.month.spent), "1.5678")

    def test_it_is_one_round_trip_where_the_database_takes_several_statements(self):
        usage.person_usage(self.alice)  # the statements built once
        with CaptureQueriesContext(connection) as asked:
            usage.person_usage(self.alice, self.alice)
        # PostgreSQL takes the five in one text; SQLite, one at a time, in its own process.
        self.assertEqual(len(asked), 1 if connection.vendor == "postgresql" else 5)


class PriceBoxReadsTests(StudioTestCase):
    def test_it_answers_what_the_separate_reads_answer(self):
        StudioSettings.load()
        Price.table()
        Price.objects.filter(model=VideoModel.FAST).update(list_per_second=Decimal("0.1234"))
        _entry(self.alice, studio_day(), reserved="0.0001", charged="1.2345")
        Member.for_user(self.alice)
        Member.objects.filter(user=self.alice).update(monthly_cap=Decimal("12.3456"))
        for studio in (None, StudioSettings.load()):
            read = usage.price_box_reads(self.alice, VideoModel.FAST, Tier.P720, studio)
            listed = price_box.LISTED_PRICE.values(VideoModel.FAST, Tier.P720)[0][0]
            self.assertEqual((repr(read.listed), str(read.listed)), (repr(listed), "0.1234"))
            self.assertEqual(read.totals, month_totals(self.alice))
            self.assertEqual(_fields(read.member), _fields(usage.member_of(self.alice)))
            self.assertEqual(_fields(read.studio), _fields(StudioSettings.load()))

    def test_a_missing_price_row_reads_as_none(self):
        Price.objects.filter(model=VideoModel.STANDARD).delete()
        read = usage.price_box_reads(self.bob, VideoModel.STANDARD, Tier.P720)
        self.assertIsNone(read.listed)
        self.assertTrue(Member.objects.filter(user=self.bob).exists())


class StudioAndNewestTests(StudioTestCase):
    def test_the_form_starts_in_the_project_the_separate_read_gives(self):
        project = Project.objects.create(name="Open", created_by=self.bob)
        for made_in in (None, project, None):
            make_generation(self.alice, project=made_in)
            read = new_form_reads(self.alice)
            usable = usable_project_choices(self.alice)
            self.assertEqual(
                last_project_of(self.alice, read.usable, read.newest),
                last_project_of(self.alice, usable),
            )
            self.assertEqual(_fields(read.studio), _fields(StudioSettings.load()))
        read = new_form_reads(self.bob)
        self.assertEqual(read.newest, ())
        self.assertIsNone(last_project_of(self.bob, None, read.newest))

    def test_the_projects_are_the_separate_read_s_in_its_order(self):
        for name in ("beta", "Alpha", "alpha", "Élan", "zed", "beta"):
            Project.objects.create(name=name, created_by=self.bob)
        Project.objects.create(name="Gone", created_by=self.bob, archived_at=timezone.now())
        Project.objects.create(name="Closed", created_by=self.bob, limited=True)
        reviewer = make_user("rita")
        Teammate.objects.update_or_create(user=reviewer, defaults={"role": Role.REVIEWER})
        for person in (self.alice, self.bob, make_user("ada", is_staff=True), reviewer):
            expected = usable_project_choices(person)
            got = new_form_reads(person).usable
            self.assertEqual([(p.pk, p.name) for p in got], [(p.pk, p.name) for p in expected])
        self.assertEqual(len(new_form_reads(self.alice).usable), 6)


class PresetsAndBlocksTests(StudioTestCase):
    def test_they_are_the_separate_reads_in_the_database_s_order(self):
        admin = make_user("ada", is_staff=True)
        project = Project.objects.create(name="Open", created_by=self.bob)
        for owner, name, scope in (
            (self.alice, "beta", Scope.PERSONAL),
            (self.alice, "Alpha", Scope.PERSONAL),
            (self.bob, "alpha", Scope.TEAM),
            (self.bob, "Zed", Scope.PERSONAL),
            (self.bob, "b", Scope.PROJECT),
        ):
            Preset.objects.create(
                owner=owner,
                name=name,
                prompt="p",
                scope=scope,
                project=project if scope == Scope.PROJECT else None,
            )
        for name in ("moody", "Bright", "bright", "Élan"):
            StyleBlock.objects.create(name=name, text=f"{name} light", created_by=self.bob)
        for person in (self.alice, self.bob, admin):
            presets, blocks = presets_and_blocks(person)
            expected = preset_choices(person)
            self.assertEqual(
                [(p.pk, p.name, p.scope, p.scope_label) for p in presets],
                [(p.pk, p.name, p.scope, p.scope_label) for p in expected],
            )
            self.assertEqual(
                [(b.pk, b.name, b.text, b.created_by_id) for b in blocks],
                [(b.pk, b.name, b.text, b.created_by_id) for b in style_blocks()],
            )

    def test_blocks_come_without_presets_and_presets_without_blocks(self):
        StyleBlock.objects.create(name="Warm", text="warm light", created_by=self.bob)
        self.assertEqual([b.name for b in presets_and_blocks(self.alice)[1]], ["Warm"])
        StyleBlock.objects.all().delete()
        Preset.objects.create(owner=self.alice, name="Mine", prompt="p")
        self.assertEqual(presets_and_blocks(self.alice), (preset_choices(self.alice), []))


class GenerationFormFieldsTests(StudioTestCase):
    def test_each_form_has_its_own_fields_as_deepcopy_gives_them(self):
        import copy

        from django import forms

        from generations.forms import GenerationForm

        shared = GenerationForm(owner=self.alice)
        fields = GenerationForm(owner=self.alice).fields
        expected = copy.deepcopy(dict(GenerationForm.base_fields))
        self.assertEqual(list(fields), [n for n in expected if n != "keep_first_frame"])
        for name, field in fields.items():
            with self.subTest(name):
                base = GenerationForm.base_fields[name]
                self.assertIsNot(field, base)
                self.assertIsNot(field.widget, base.widget)
                self.assertIsNot(field.widget.attrs, base.widget.attrs)
                self.assertIsNot(field.error_messages, base.error_messages)
                self.assertIsNot(field, shared.fields[name])
                self.assertEqual(field.widget.attrs, expected[name].widget.attrs)
                if isinstance(field, forms.ChoiceField) and name != "project":
                    self.assertEqual(list(field.choices), list(expected[name].choices))
                    self.assertIsNot(field.choices, base.choices)
                    field.choices = [("x", "X")]
                    field.widget.attrs["data-x"] = "1"
                    self.assertNotEqual(list(shared.fields[name].choices), [("x", "X")])
                    self.assertNotIn("data-x", GenerationForm.base_fields[name].widget.attrs)


class NewFormPriceTests(StudioTestCase):
    def test_the_blank_form_s_price_reads_are_the_price_box_s(self):
        StudioSettings.load()
        Price.table()
        Price.objects.filter(model=VideoModel.FAST).update(list_per_second=Decimal("0.1234"))
        _entry(self.alice, studio_day(), reserved="0.0001", charged="1.2345")
        read = new_form_reads(self.alice).price
        expected = usage.price_box_reads(self.alice, VideoModel.FAST, Tier.P720)
        self.assertEqual((read.model, read.tier), (VideoModel.FAST, Tier.P720))
        self.assertEqual((repr(read.listed), read.totals), (repr(expected.listed), expected.totals))
        self.assertEqual(_fields(read.member), _fields(expected.member))
        self.assertEqual(_fields(read.studio), _fields(expected.studio))

    def test_the_new_video_page_asks_the_form_s_reads_at_once(self):
        self.client.get("/new/")  # the statements built once
        with CaptureQueriesContext(connection) as asked:
            page = self.client.get("/new/")
        self.assertEqual(page.status_code, 200)
        about_price = [q["sql"] for q in asked if "billing_price" in q["sql"]]
        self.assertEqual(len(about_price), 1)
        if connection.vendor == "postgresql":  # one round trip: one text of statements
            self.assertIn("generations_project", about_price[0])
