"""A double click on "Generate the whole plan", for real: concurrent requests, each thread on
its own database connection, make the plan's videos once and reserve them once."""

from django.test import Client, TransactionTestCase
from django.urls import reverse

from batches.models import Batch
from batches.sheet import read_text
from billing.models import LedgerEntry, Member, Price, StudioSettings
from generations.models import Generation
from tests.helpers import make_user
from tests.test_billing_race import at_once


class GenerateRaceTests(TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        StudioSettings.load()
        Price.table()  # the flush between tests empties the table the migration filled
        Member.for_user(self.alice)

    def test_four_clicks_at_once_make_the_plan_s_videos_once(self):
        sheet = read_text("prompt,takes\nA kite,2\nA boat,\nA kite,\n")
        batch = Batch.from_sheet(self.alice, sheet, "race.csv")

        def click(_):
            client = Client()
            client.force_login(self.alice)
            response = client.post(reverse("batches:generate", args=[batch.pk]))
            return response.status_code, response["Location"]

        answers = at_once(4, click)
        videos = reverse("batches:videos", args=[batch.pk])
        self.assertEqual(answers, [(302, videos)] * 4)
        self.assertEqual(Generation.objects.count(), 4)
        self.assertEqual(LedgerEntry.objects.count(), 4)
        self.assertEqual(Generation.objects.filter(batch_rows__batch=batch).count(), 4)
