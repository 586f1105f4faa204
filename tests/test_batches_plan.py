"""Alice's batch from a sheet: the plan keeps every row (bad ones named by line and reason),
is priced row by row and as a whole against her cap and the team's, is fixed in place (as a
plain form and through htmx), takes a project, and is generated as a whole: refused whole
over a cap with nothing reserved or sent, made once however often she clicks, each row a
video with its title in the chosen project."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from batches.models import Batch, BatchRow
from billing.models import LedgerEntry, Member, StudioSettings
from generations.models import Generation, Project
from tests.helpers import StudioTestCase, drive

SHEET = (
    "Prompt,Title,Seconds,Takes,Size\n"
    "A perfume bottle on wet marble,Bottle,8,,\n"
    "Close-up of the cap turning,Cap,4,2,\n"
    "The bottle in a veo9 storm,Storm,4,,720p\n"
)


def set_cap(user, dollars):
    member = Member.for_user(user)
    member.monthly_cap = None if dollars is None else Decimal(dollars)
    member.save()


@pytest.mark.usefixtures("sim")
class BatchPlanTests(StudioTestCase):
    def upload(self, text: str, name: str = "spring.csv"):
        sheet = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
        return self.client.post(reverse("batches:batches"), {"sheet": sheet})

    def plan(self, text: str = SHEET) -> Batch:
        response = self.upload(text)
        batch = Batch.objects.get()
        self.assertRedirects(response, reverse("batches:plan", args=[batch.pk]))
        return batch

    def test_the_page_offers_an_upload_and_pasting(self):
        response = self.client.get(reverse("batches:batches"))
        self.assertContains(response, "Batches from a sheet")
        self.assertContains(response, 'name="sheet"')
        self.assertContains(response, 'name="rows"')

    def test_a_sheet_that_cannot_be_read_is_refused_whole_and_nothing_is_kept(self):
        response = self.upload("text,length\nA kite,8\n")
        self.assertContains(response, "one of them “prompt”")
        self.assertEqual(Batch.objects.count(), 0)
        big = SimpleUploadedFile("big.csv", b"prompt\n" + b"x" * 300_000)
        response = self.client.post(reverse("batches:batches"), {"sheet": big})
        self.assertContains(response, "a sheet may be up to 256 KB")
        self.assertEqual(Batch.objects.count(), 0)

    def test_nothing_chosen_is_asked_for(self):
        response = self.client.post(reverse("batches:batches"), {"rows": "  "})
        self.assertContains(response, "Please choose a CSV file or paste rows")

    def test_the_plan_names_bad_rows_by_line_and_reason_and_prices_the_good_ones(self):
        batch = self.plan(SHEET.replace("720p\n", "veo9\n"))
        response = self.client.get(reverse("batches:plan", args=[batch.pk]))
        self.assertContains(response, "1 row to fix before anything is sent")
        self.assertContains(response, "Line 4</a>: Size “veo9” is not one we can make")
        self.assertContains(response, "read as UTF-8")
        # Priced: 8 s + 2 × 4 s at the studio's fast 720p rate ($0.08/s at 20 % off).
        self.assertContains(response, "$1.28</strong> for 3 videos")
        self.assertContains(response, "disabled")
        self.assertEqual(Generation.objects.count(), 0)

    def test_an_unquoted_comma_in_a_prompt_is_explained(self):
        batch = self.plan("prompt,takes\nA kite, at dusk,2\n")
        self.assertEqual(
            batch.rows.get().reason,
            "This row has 1 more cell than the header names: a comma inside a prompt needs "
            "the prompt in double quotes. Takes “at dusk” is not one we can make: use 1, 2, 3, 4.",
        )

    def test_a_reload_loses_nothing_and_pasted_rows_make_a_plan_too(self):
        response = self.client.post(
            reverse("batches:batches"), {"rows": "prompt\ttitle\nA kite\tKite\n"}
        )
        batch = Batch.objects.get()
        self.assertRedirects(response, batch.get_absolute_url())
        self.assertEqual(batch.name, "Pasted rows")
        for _ in range(2):
            self.assertContains(self.client.get(batch.get_absolute_url()), "Kite")

    def test_a_row_is_fixed_in_place_as_a_plain_form(self):
        batch = self.plan(SHEET.replace("720p\n", "veo9\n"))
        row = batch.rows.get(line=4)
        url = reverse("batches:row_edit", args=[batch.pk, row.pk])
        self.assertContains(self.client.get(url), "“veo9” (not available)")
        values = {"prompt": row.prompt, "title": "Storm", "model": "veo3.1-fast"}
        response = self.client.post(
            url, {**values, "size": "720x1280", "seconds": "4", "takes": "1"}
        )
        self.assertRedirects(response, reverse("batches:plan", args=[batch.pk]))
        row.refresh_from_db()
        self.assertEqual((row.size, row.reason), ("720x1280", ""))
        # Still wrong: the form stays, saying why, and what was typed is kept.
        response = self.client.post(
            url, {**values, "size": "1920x1080", "seconds": "4", "takes": "1"}
        )
        self.assertContains(response, "only available as an 8-second clip")
        row.refresh_from_db()
        self.assertEqual(row.size, "1920x1080")

    def test_an_htmx_fix_answers_the_row_and_the_plan_s_summary(self):
        batch = self.plan(SHEET.replace("720p\n", "veo9\n"))
        row = batch.rows.get(line=4)
        url = reverse("batches:row_edit", args=[batch.pk, row.pk])
        response = self.client.get(url, headers={"HX-Request": "true"})
        self.assertContains(response, f'<tr id="row-{row.pk}" class="batch-row editing">')
        self.assertNotContains(response, "<html")
        response = self.client.post(
            url,
            {
                "prompt": "A storm",
                "title": "Storm",
                "model": "veo3.1-fast",
                "size": "1280x720",
                "seconds": "4",
                "takes": "1",
            },
            headers={"HX-Request": "true"},
        )
        self.assertContains(response, f'<tr id="row-{row.pk}" class="batch-row">')
        self.assertContains(response, 'id="plan-summary" aria-live="polite" hx-swap-oob="true"')
        self.assertContains(response, "$1.60</strong> for 4 videos")
        self.assertNotContains(response, "to fix before anything is sent")

    def test_removing_a_row_reprices_the_plan(self):
        batch = self.plan()
        row = batch.rows.get(line=3)
        response = self.client.post(reverse("batches:row_remove", args=[batch.pk, row.pk]))
        self.assertRedirects(response, batch.get_absolute_url())
        self.assertContains(
            self.client.get(batch.get_absolute_url()), "$0.96</strong> for 2 videos"
        )

    def test_the_plan_shows_the_total_against_each_cap(self):
        set_cap(self.alice, "1.00")
        studio = StudioSettings.load()
        studio.team_cap = Decimal("50")
        studio.save()
        response = self.client.get(self.plan().get_absolute_url())
        self.assertContains(
            response, "Your monthly cap: $1.00, $0.00 used or held this month, $1.00 left"
        )
        self.assertContains(response, "over by $0.60")
        self.assertContains(response, "The team&#x27;s monthly cap: $50.00")
        self.assertContains(response, "the plan fits")

    def test_generating_makes_each_row_a_video_with_its_title_in_the_chosen_project(self):
        project = Project.objects.create(name="Spring perfume", created_by=self.alice)
        batch = self.plan()
        response = self.client.post(
            reverse("batches:project", args=[batch.pk]), {"project": project.pk}
        )
        self.assertRedirects(response, batch.get_absolute_url())
        response = self.client.post(reverse("batches:generate", args=[batch.pk]))
        self.assertRedirects(response, reverse("batches:videos", args=[batch.pk]))
        videos = Generation.objects.order_by("created_at", "take_number")
        self.assertEqual(
            [(v.title, v.seconds, v.take_number) for v in videos],
            [("Bottle", 8, 1), ("Cap", 4, 1), ("Cap", 4, 2), ("Storm", 4, 1)],
        )
        self.assertEqual({v.project for v in videos}, {project})
        self.assertEqual(LedgerEntry.objects.filter(kind="reserve").count(), 4)
        page = self.client.get(reverse("batches:videos", args=[batch.pk]))
        self.assertContains(page, "4 videos")
        for video in videos:
            self.assertContains(page, f'id="card-{video.pk}"')
        drive(videos[0])
        self.assertEqual(self.sim.create_count, 1)

    def test_two_identical_rows_make_two_videos(self):
        batch = self.plan("prompt\nA kite\nA kite\n")
        self.client.post(reverse("batches:generate", args=[batch.pk]))
        self.assertEqual(Generation.objects.filter(prompt="A kite").count(), 2)

    def test_a_double_click_makes_the_videos_once(self):
        batch = self.plan()
        first = self.client.post(reverse("batches:generate", args=[batch.pk]))
        second = self.client.post(reverse("batches:generate", args=[batch.pk]), follow=True)
        self.assertEqual(first.status_code, 302)
        self.assertContains(second, "already generated, so nothing was started twice")
        self.assertEqual(Generation.objects.count(), 4)
        self.assertEqual(LedgerEntry.objects.count(), 4)
        # Even a plan generated again from scratch finds its jobs by the rows' tokens.
        Batch.objects.filter(pk=batch.pk).update(generated_at=None)
        self.client.post(reverse("batches:generate", args=[batch.pk]))
        self.assertEqual(Generation.objects.count(), 4)

    def test_over_a_cap_the_whole_plan_is_refused_and_nothing_is_reserved_or_sent(self):
        set_cap(self.alice, "1.00")
        batch = self.plan()  # $1.60 for 4 videos; the first row alone would fit
        response = self.client.post(reverse("batches:generate", args=[batch.pk]), follow=True)
        self.assertContains(
            response,
            "The whole plan was refused: this would cost $1.60, but your monthly cap leaves "
            "$1.00 this month. Nothing was sent to CometAPI.",
        )
        self.assertEqual(Generation.objects.count(), 0)
        self.assertEqual(LedgerEntry.objects.count(), 0)
        self.assertEqual(self.sim.create_count, 0)
        batch.refresh_from_db()
        self.assertIsNone(batch.generated_at)
        # Removing the two takes of line 3 brings it under the cap: then it goes.
        batch.rows.get(line=3).delete()
        self.client.post(reverse("batches:generate", args=[batch.pk]))
        self.assertEqual(Generation.objects.count(), 2)

    def test_over_the_team_s_cap_the_refusal_says_it_is_the_team_s(self):
        studio = StudioSettings.load()
        studio.team_cap = Decimal("1.50")
        studio.save()
        batch = self.plan()
        response = self.client.post(reverse("batches:generate", args=[batch.pk]), follow=True)
        self.assertContains(response, "but the team&#x27;s monthly cap leaves $1.50 this month")
        self.assertEqual((Generation.objects.count(), LedgerEntry.objects.count()), (0, 0))
        self.assertEqual(self.sim.create_count, 0)

    def test_a_plan_with_a_bad_row_is_not_sent(self):
        batch = self.plan(SHEET.replace("720p\n", "veo9\n"))
        response = self.client.post(reverse("batches:generate", args=[batch.pk]), follow=True)
        self.assertContains(response, "Nothing was sent: 1 row still needs fixing (line 4).")
        self.assertEqual(Generation.objects.count(), 0)

    def test_a_row_that_became_bad_since_it_was_checked_is_named_when_generating(self):
        batch = self.plan()
        BatchRow.objects.filter(batch=batch, line=2).update(seconds="5")  # an older check
        response = self.client.post(reverse("batches:generate", args=[batch.pk]), follow=True)
        self.assertContains(response, "Nothing was sent: 1 row still needs fixing (line 2).")
        self.assertContains(response, "Line 2</a>: Seconds “5” is not one we can make")
        self.assertEqual((Generation.objects.count(), LedgerEntry.objects.count()), (0, 0))

    def test_a_project_the_person_may_not_use_is_refused(self):
        hidden = Project.objects.create(name="Board", created_by=self.bob, limited=True)
        batch = self.plan()
        response = self.client.post(
            reverse("batches:project", args=[batch.pk]), {"project": hidden.pk}, follow=True
        )
        self.assertContains(response, "That project is no longer open")
        batch.refresh_from_db()
        self.assertIsNone(batch.project)

    def test_a_project_archived_after_it_was_chosen_refuses_the_plan_with_nothing_sent(self):
        project = Project.objects.create(name="Spring perfume", created_by=self.alice)
        batch = self.plan()
        self.client.post(reverse("batches:project", args=[batch.pk]), {"project": project.pk})
        project.archive()
        self.assertContains(
            self.client.get(batch.get_absolute_url()),
            "Spring perfume (no longer open: pick another)",
        )
        response = self.client.post(reverse("batches:generate", args=[batch.pk]), follow=True)
        self.assertContains(
            response, "no longer open to you. Please pick another. Nothing was sent."
        )
        self.assertEqual((Generation.objects.count(), LedgerEntry.objects.count()), (0, 0))

    @override_settings(BILLING_CREATE_PER_MINUTE=3)
    def test_a_plan_counts_once_against_the_per_minute_limit(self):
        batch = self.plan()  # four videos, over a limit of three a minute
        self.client.post(reverse("batches:generate", args=[batch.pk]))
        self.assertEqual(Generation.objects.count(), 4)

    def test_a_generated_batch_no_longer_changes(self):
        batch = self.plan()
        self.client.post(reverse("batches:generate", args=[batch.pk]))
        row = batch.rows.first()
        assert isinstance(row, BatchRow)
        self.client.post(reverse("batches:row_remove", args=[batch.pk, row.pk]))
        self.client.post(reverse("batches:delete", args=[batch.pk]))
        self.assertEqual(batch.rows.count(), 3)
        self.assertRedirects(
            self.client.get(reverse("batches:plan", args=[batch.pk])),
            reverse("batches:videos", args=[batch.pk]),
        )
