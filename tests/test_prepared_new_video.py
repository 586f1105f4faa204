"""The New video form and the preset library read with queries built once per process
(lib/prepared.py): each answers what the ORM's own query answers."""

import uuid
from datetime import date
from decimal import Decimal

from billing import ledger
from billing.ledger import month_range, month_totals, studio_day
from billing.models import EntryKind, LedgerEntry, Member, Price, StudioSettings
from generations.forms import last_project_of, usable_projects
from generations.models import Project, ReviewStatus
from prompts.models import (
    Preset,
    PresetUse,
    Scope,
    StyleBlock,
    library_presets,
    preset_choices,
    style_blocks,
)
from reports.usage import member_of
from reports.views import estimate_context
from veo.catalogue import Size, VideoModel

from .helpers import StudioTestCase, make_generation, make_user


class NewVideoReadsTests(StudioTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.admin = make_user("ada", is_staff=True)
        cls.open = Project.objects.create(name="Open", created_by=cls.bob)
        cls.closed = Project.objects.create(name="Closed", created_by=cls.bob, limited=True)
        cls.mine = Preset.objects.create(owner=cls.alice, name="Mine", prompt="a {thing}")
        cls.team = Preset.objects.create(owner=cls.bob, name="Team", prompt="t", scope=Scope.TEAM)
        cls.theirs = Preset.objects.create(owner=cls.bob, name="Bob's", prompt="b")
        cls.in_open = Preset.objects.create(
            owner=cls.bob, name="In open", prompt="o", scope=Scope.PROJECT, project=cls.open
        )
        cls.in_closed = Preset.objects.create(
            owner=cls.bob, name="In closed", prompt="c", scope=Scope.PROJECT, project=cls.closed
        )

    def test_the_presets_a_person_sees_are_those_the_orm_gives(self):
        for person in (self.alice, self.bob, self.admin):
            expected = list(Preset.objects.visible_to(person).order_by("name", "pk"))
            self.assertEqual([p.pk for p in preset_choices(person)], [p.pk for p in expected])
            self.assertEqual([p.pk for p in library_presets(person)], [p.pk for p in expected])
        self.assertNotIn(self.in_closed.pk, [p.pk for p in preset_choices(self.alice)])
        self.assertIn("Project: Open", [p.scope_label for p in preset_choices(self.alice)])

    def test_the_library_counts_the_videos_each_preset_made_as_the_orm_does(self):
        approved = make_generation(self.alice, review_status=ReviewStatus.APPROVED)
        PresetUse.objects.create(preset=self.mine, generation=approved)
        PresetUse.objects.create(preset=self.mine, generation=make_generation(self.alice))

        expected = {
            p.pk: (p.used, p.approved, p.starred)
            for p in Preset.objects.visible_to(self.alice).with_outcomes()
        }
        shown = {p.pk: (p.used, p.approved, p.starred) for p in library_presets(self.alice)}
        self.assertEqual(shown, expected)
        self.assertEqual(shown[self.mine.pk], (2, 1, 0))
        searched = library_presets(self.alice, "thing")
        self.assertEqual([(p.pk, p.used) for p in searched], [(self.mine.pk, 2)])
        self.assertEqual(searched[0].owner.get_username(), "alice")

    def test_who_may_change_a_shown_preset_is_the_rule_of_changeable_by(self):
        for person in (self.alice, self.bob, self.admin):
            changeable = set(Preset.objects.changeable_by(person).values_list("pk", flat=True))
            for preset in library_presets(person):
                self.assertEqual(preset.may_be_changed_by(person), preset.pk in changeable)

    def test_the_style_blocks_are_the_orm_s(self):
        StyleBlock.objects.create(name="Warm", text="warm light", created_by=self.bob)
        StyleBlock.objects.create(name="Cold", text="blue hour")
        self.assertEqual(
            [(b.pk, b.name, b.text, b.created_by_id) for b in style_blocks()],
            [(b.pk, b.name, b.text, b.created_by_id) for b in StyleBlock.objects.all()],
        )

    def test_the_form_starts_in_the_last_project_the_person_may_still_use(self):
        self.assertIsNone(last_project_of(self.alice))
        make_generation(self.alice, project=self.open)
        self.assertEqual(last_project_of(self.alice), self.open.pk)
        self.closed.members.add(self.alice)
        make_generation(self.alice, project=self.closed)
        self.assertEqual(last_project_of(self.alice), self.closed.pk)
        self.closed.members.remove(self.alice)
        self.assertIsNone(last_project_of(self.alice))
        self.assertEqual([p.pk for p in usable_projects(self.alice)], [self.open.pk])

    def test_the_month_s_money_is_the_orm_s_to_the_ten_thousandth(self):
        today = studio_day()
        first, end = month_range(today)
        last_month = (
            date(first.year - 1, 12, 1)
            if first.month == 1
            else first.replace(month=first.month - 1)
        )
        for person, day, reserved, charged in (
            (self.alice, today, "0.0001", "1.2345"),
            (self.alice, today, "2.5000", "0"),
            (self.bob, today, "0", "7.1000"),
            (self.alice, last_month, "100", "100"),
        ):
            LedgerEntry.objects.create(
                person=person,
                generation_ref=uuid.uuid4(),
                kind=EntryKind.RESERVE,
                rate=Decimal("0.1"),
                seconds=4,
                amount=Decimal(reserved),
                reserved=Decimal(reserved),
                charged=Decimal(charged),
                day=day,
            )
        for person in (self.alice, self.bob, self.admin):
            expected = LedgerEntry.objects.in_days(first, end).person_and_team_totals(person)
            self.assertEqual(month_totals(person), expected)
        self.assertEqual(month_totals(self.alice)["my_reserved"], Decimal("2.5001"))
        self.assertEqual(month_totals(self.alice)["team_charged"], Decimal("8.3345"))

    def test_the_studio_s_settings_are_the_orm_s_and_made_when_missing(self):
        StudioSettings.objects.all().delete()
        made = StudioSettings.load()
        self.assertEqual(made.pk, 1)
        self.assertTrue(StudioSettings.objects.filter(pk=1).exists())

        self.assertEqual(
            StudioSettings.objects.filter(pk=1).update(
                discount_percent=Decimal("12.5"),
                team_cap=Decimal("1234.5678"),
                share_new_videos=True,
            ),
            1,
        )
        read, expected = StudioSettings.load(), StudioSettings.objects.get(pk=1)
        for field in StudioSettings._meta.concrete_fields:
            mine, theirs = getattr(read, field.attname), getattr(expected, field.attname)
            self.assertEqual((repr(mine), type(mine)), (repr(theirs), type(theirs)), field.name)
        self.assertEqual(str(read.discount_percent), "12.50")

    def test_a_person_s_cap_is_the_orm_s_and_their_row_made_when_missing(self):
        Member.objects.filter(user=self.alice).delete()
        self.assertEqual(member_of(self.alice).pk, Member.objects.get(user=self.alice).pk)

        for cap in (Decimal("12.3456"), Decimal("0.0001"), None):
            Member.objects.filter(user=self.alice).update(monthly_cap=cap)
            read, expected = member_of(self.alice), Member.for_user(self.alice)
            for field in Member._meta.concrete_fields:
                mine, theirs = getattr(read, field.attname), getattr(expected, field.attname)
                self.assertEqual(repr(mine), repr(theirs), field.name)
        Member.objects.filter(user=self.alice).update(monthly_cap=Decimal("12.3456"))
        self.assertEqual(str(member_of(self.alice).monthly_cap), "12.3456")

    def test_the_price_box_s_rate_is_the_orm_s_to_the_ten_thousandth(self):
        StudioSettings.load()
        Price.table()  # the rows a migration wrote, which a transactional test run before may have flushed
        StudioSettings.objects.filter(pk=1).update(discount_percent=Decimal("12.5"))
        Price.objects.filter(model=VideoModel.FAST).update(list_per_second=Decimal("0.1234"))
        studio = StudioSettings.load()
        for model in VideoModel.values:
            for size in Size.values:
                data = {"model": model, "size": size, "seconds": "8"}
                shown = estimate_context(self.alice, data)["quote"].rate
                self.assertEqual(str(shown), str(ledger.rate_for(model, size, studio)))
        fast = estimate_context(self.alice, {"model": VideoModel.FAST})["quote"]
        self.assertEqual(str(fast.rate), "0.1080")

    def test_a_price_row_gone_missing_is_written_back_at_its_list_price(self):
        Price.objects.filter(model=VideoModel.STANDARD).delete()
        quote = estimate_context(self.alice, {"model": VideoModel.STANDARD})["quote"]
        self.assertEqual(quote.rate, ledger.rate_for(VideoModel.STANDARD, Size.LANDSCAPE_720))
        self.assertTrue(Price.objects.filter(model=VideoModel.STANDARD).exists())
