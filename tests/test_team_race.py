"""Parallel posts into one project never pass its budget: real concurrent requests, each
thread on its own database connection, from several people (whose own locks differ: only
the project's lock keeps them in line), and its alerts told once.

Also run on PostgreSQL:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_team \
      VEOSTUDIO_TESTING=1 .venv/bin/python -m pytest tests/test_team_race.py
"""

import time
from decimal import Decimal
from unittest import mock

from django.test import Client, TransactionTestCase
from django.urls import reverse

from billing import ledger
from billing.models import LedgerEntry, Member, Price, ProjectAccount, StudioSettings
from generations.models import Generation, Notification, NotificationKind, Project

from .helpers import make_user
from .test_billing_race import FORM, at_once

real_project_standing = ledger.project_standing


def slow_project_standing(*args, **kwargs):
    """Read the project's money, then dawdle: without the project's lock every racer
    would read the same spend and all of them would pass."""
    found = real_project_standing(*args, **kwargs)
    time.sleep(0.05)
    return found


@mock.patch("billing.ledger.project_standing", slow_project_standing)
class ProjectBudgetRaceTests(TransactionTestCase):
    def setUp(self):
        self.people = [make_user(name) for name in ("alice", "bob", "carol")]
        self.admin = make_user("boss", is_staff=True)
        # Made up front: a first insert racing would serialize the racers by itself.
        StudioSettings.load()
        Price.table()
        for person in self.people:
            Member.for_user(person)

    def project(self, **budgets) -> Project:
        project = Project.objects.create(name="Spring perfume", created_by=self.admin, **budgets)
        ProjectAccount.objects.create(project_ref=project.pk)
        return project

    def post_as(self, user, project, prompt):
        client = Client()
        client.force_login(user)
        data = {**FORM, "prompt": prompt, "project": project.pk}
        response = client.post(reverse("generations:create"), data)
        if response.status_code == 302 and "/videos/" not in response["Location"]:
            return response["Location"]
        return response.status_code

    def race(self, project, count=8):
        return at_once(
            count, lambda n: self.post_as(self.people[n % 3], project, f"racer {n} of the spot")
        )

    def test_eight_posts_from_three_people_never_pass_a_total_budget(self):
        project = self.project(total_budget=Decimal("2.00"))  # three $0.64 jobs fit
        codes = self.race(project)
        self.assertEqual(sorted(codes), [200] * 5 + [302] * 3, codes)
        held = sum(e.reserved for e in LedgerEntry.objects.filter(project_ref=project.pk))
        self.assertEqual(held, Decimal("1.92"))
        self.assertEqual(Generation.objects.filter(project=project).count(), 3)

    def test_eight_posts_never_pass_a_monthly_budget(self):
        project = self.project(monthly_budget=Decimal("1.00"))
        codes = self.race(project)
        self.assertEqual(codes.count(302), 1, codes)
        self.assertEqual(LedgerEntry.objects.filter(project_ref=project.pk).count(), 1)

    def test_racers_crossing_80_percent_tell_it_once(self):
        project = self.project(total_budget=Decimal("2.40"))  # 3 jobs = $1.92 = 80 %
        codes = self.race(project, count=6)
        self.assertEqual(codes.count(302), 3, codes)
        told = list(
            Notification.objects.filter(kind=NotificationKind.BUDGET, project=project).values_list(
                "recipient__username", flat=True
            )
        )
        makers = set(
            Generation.objects.filter(project=project).values_list("owner__username", flat=True)
        )
        # Once to each of its people (its makers) and the admin, by whichever racer crossed.
        self.assertEqual(sorted(told), sorted(makers | {"boss"}))
