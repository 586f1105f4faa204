"""The Projects list's queries, built once per process, answer what the ORM's own answer."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.utils import timezone

from billing import ledger
from billing.models import LedgerEntry
from generations.access import visible_generations, visible_projects
from generations.forms import ProjectForm
from generations.models import Generation, Project
from generations.views.projects import _listed, blank_project_fields

from .helpers import StudioTestCase, make_generation, make_user


def orm_listed(person) -> tuple[list, dict, dict]:
    """What the Projects list read before its queries were prepared."""
    shown = list(visible_projects(person).select_related("created_by"))
    facts = {
        row["project_id"]: (row["videos"], row["last"])
        for row in visible_generations(person)
        .in_gallery()
        .filter(project__in=[p.pk for p in shown])
        .values("project_id")
        .annotate(videos=Count("pk"), last=Max("created_at"))
        .order_by()
    }
    return shown, facts, ledger.project_spend([p.pk for p in shown])


def entry(person, project, charged: str, day: date) -> LedgerEntry:
    return LedgerEntry.objects.create(
        person=person,
        generation_ref=uuid.uuid4(),
        project_ref=project.pk,
        kind="reserve",
        rate=Decimal("0.1"),
        seconds=8,
        amount=Decimal(charged),
        reserved=Decimal("0.3333"),
        charged=Decimal(charged),
        day=day,
    )


class ProjectListQueriesTests(StudioTestCase):
    def test_each_person_gets_the_orm_s_projects_counts_dates_and_money(self):
        admin = make_user("admin", is_staff=True)
        carol = make_user("carol")
        open_one = Project.objects.create(name="Open", created_by=self.alice)
        limited = Project.objects.create(name="Board", created_by=self.bob, limited=True)
        limited.members.add(carol)
        archived = Project.objects.create(name="Old", created_by=self.alice)
        archived.archive()
        Project.objects.create(name="Empty", created_by=carol)
        for owner, project in [
            (self.alice, open_one),
            (self.bob, open_one),
            (self.bob, limited),
            (carol, limited),
            (self.alice, archived),
            (self.alice, None),
        ]:
            make_generation(owner, project=project)
        for owner in (self.bob, self.alice):  # a teammate's and the person's own Trash
            trashed = make_generation(owner, project=open_one)
            Generation.objects.filter(pk=trashed.pk).update(trashed_at=timezone.now())
        today = ledger.studio_day()
        entry(self.alice, open_one, "1.2345", today)
        entry(self.bob, open_one, "0.5", today - timedelta(days=40))
        entry(carol, limited, "2", today)

        for person in (self.alice, self.bob, carol, admin):
            with self.subTest(person=person.username):
                shown, facts, spends = _listed(person)
                expected_shown, expected_facts, expected_spends = orm_listed(person)
                self.assertEqual(shown, expected_shown)
                self.assertEqual(
                    [p.created_by.username for p in shown],
                    [p.created_by.username for p in expected_shown],
                )
                self.assertEqual(
                    {pk: fact for pk, fact in facts.items() if fact[0]}, expected_facts
                )
                self.assertEqual(spends, expected_spends)
        self.assertIn(limited, _listed(carol)[0])
        self.assertNotIn(limited, _listed(self.alice)[0])
        self.assertGreaterEqual(_listed(self.alice)[2][open_one.pk].spent, Decimal("1.7345"))

    def test_a_newest_video_s_date_is_the_orm_s_aware_datetime(self):
        project = Project.objects.create(name="Open", created_by=self.alice)
        make_generation(self.alice, project=project, created_at=timezone.now() - timedelta(days=3))

        facts = _listed(self.bob)[1]

        self.assertEqual(facts, orm_listed(self.bob)[1])
        self.assertIsNotNone(facts[project.pk][1].tzinfo)

    def test_nobody_who_sees_no_project_costs_a_query_of_money(self):
        with self.assertNumQueries(1):
            self.assertEqual(_listed(self.alice), ([], {}, {}))

    def test_the_blank_form_s_fields_are_django_s_own(self):
        self.assertEqual(
            blank_project_fields(),
            render_to_string("generations/_project_fields.html", {"form": ProjectForm()}),
        )
