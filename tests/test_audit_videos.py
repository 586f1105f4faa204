"""The audit log answers "who did what to which video, and what did it cost": each test does
one thing as a teammate would, then reads the admin's audit page."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.test import TestCase
from django.urls import reverse

from billing.models import AuditEntry, LedgerEntry
from generations.models import Comment
from reports import audit

from .helpers import drive, make_generation, make_ready_generation, make_user

HTMX = {"HX-Request": "true"}
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r'<td data-label="([^"]+)">(.*?)</td>', re.S)


class AuditTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob = make_user("alice"), make_user("bob")
        cls.carol = make_user("carol", is_staff=True)

    def rows(self, did: str, **query) -> list[dict[str, str]]:
        """The audit page's lines for `action`, as the admin Carol reads them."""
        self.client.force_login(self.carol)
        page = self.client.get(reverse("billing:audit"), query)
        self.assertEqual(page.status_code, 200)
        found = [dict(CELL.findall(row)) for row in ROW.findall(page.content.decode())]
        return [row for row in found if row.get("Did") == did]

    def the_row(self, did: str, **query) -> dict[str, str]:
        rows = self.rows(did, **query)
        self.assertEqual(len(rows), 1, f"one line for {did!r}: {rows}")
        return rows[0]


class VideoActionTests(AuditTestCase):
    def setUp(self):
        self.video = make_ready_generation(self.alice, prompt="A red kite over the dunes at dusk")

    def test_sharing_names_the_video_and_links_to_it(self):
        self.client.force_login(self.alice)
        self.client.post(reverse("generations:share", args=[self.video.pk]))

        row = self.the_row("shared")
        self.assertEqual(row["Who"], "alice")
        link = f'<a href="{self.video.get_absolute_url()}">“A red kite over the dunes at dusk”</a>'
        self.assertIn(link, row["About"])

    def test_unsharing_is_recorded(self):
        self.video.share_for(self.alice)
        self.client.force_login(self.alice)
        self.client.post(reverse("generations:unshare", args=[self.video.pk]))

        row = self.the_row("unshared")
        self.assertEqual(row["Who"], "alice")
        # Private again: Carol may not watch it, so it is named but not linked.
        self.assertIn("“A red kite over the dunes at dusk”", row["About"])
        self.assertNotIn("<a ", row["About"])

    def test_a_single_download_names_the_video(self):
        self.video.share_for(self.alice)
        self.client.force_login(self.bob)
        response = self.client.get(reverse("generations:download", args=[self.video.pk]))
        b"".join(response.streaming_content)

        row = self.the_row("downloaded")
        self.assertEqual(row["Who"], "bob")
        self.assertTrue(row["About"].startswith("alice: "), row["About"])  # whose video
        self.assertIn(self.video.get_absolute_url(), row["About"])
        self.assertEqual(self.rows("downloaded", person=self.alice.pk), [row])

    def test_a_zip_download_says_which_videos_and_how_many(self):
        other = make_ready_generation(self.alice, prompt="Waves break on black sand")
        self.client.force_login(self.alice)
        url = reverse("generations:zip") + f"?ids={self.video.pk}&ids={other.pk}"
        b"".join(self.client.get(url).streaming_content)

        row = self.the_row("downloaded a ZIP")
        self.assertEqual((row["Who"], row["Detail"]), ("alice", "2 videos"))
        self.assertIn("“A red kite over the dunes at dusk”", row["About"])
        self.assertIn("“Waves break on black sand”", row["About"])
        entry = AuditEntry.objects.get(action="downloaded_zip")
        self.assertEqual({v["id"] for v in entry.videos}, {str(self.video.pk), str(other.pk)})

    def test_a_deleted_comment_is_recorded_with_its_video(self):
        self.video.share_for(self.alice)
        comment = Comment.objects.create(generation=self.video, author=self.bob, body="Too dark")
        self.client.force_login(self.bob)
        self.client.post(reverse("generations:comment_delete", args=[self.video.pk, comment.pk]))

        row = self.the_row("deleted a comment")
        self.assertEqual(row["Who"], "bob")
        self.assertIn("Too dark", row["Detail"])
        self.assertIn("“A red kite over the dunes at dusk”", row["About"])

    def test_a_deleted_video_is_still_named_with_its_id_and_no_link(self):
        self.video.share_for(self.alice)
        self.client.force_login(self.bob)
        b"".join(
            self.client.get(reverse("generations:download", args=[self.video.pk])).streaming_content
        )
        self.client.force_login(self.alice)
        self.client.post(reverse("generations:delete", args=[self.video.pk]))
        self.client.post(reverse("generations:delete_forever", args=[self.video.pk]))

        for action in ("downloaded", "deleted", "generated", "shared"):
            with self.subTest(action):
                about = self.the_row(action)["About"]
                self.assertIn("“A red kite over the dunes at dusk”", about)
                self.assertIn(f"(deleted, id {self.video.pk})", about)
                self.assertNotIn("<a ", about)
        # The same words as plain text, for an export.
        (line,) = audit.lines(action="deleted")
        self.assertEqual(
            line.about, f"“A red kite over the dunes at dusk” ({self.video.pk}, deleted)"
        )


class MoneyVerdictTests(AuditTestCase):
    def test_a_new_video_reserves_its_price_against_the_video(self):
        job = make_generation(self.alice, prompt="Snow on pines", seconds=8)

        row = self.the_row("reserved")
        self.assertEqual(row["Who"], "alice")
        self.assertEqual(row["Amount"], "$0.64")
        self.assertIn("“Snow on pines”", row["About"])
        self.assertNotIn("<a ", row["About"])  # private to Alice: named, not linked
        job.share_for(self.alice)
        self.assertIn(job.get_absolute_url(), self.the_row("reserved")["About"])

    def test_a_cancelled_video_shows_nothing_charged_not_the_held_amount(self):
        job = make_generation(self.alice, prompt="Snow on pines", seconds=8)
        self.client.force_login(self.alice)
        self.client.post(reverse("generations:cancel", args=[job.pk]))

        row = self.the_row("released")
        self.assertEqual(row["Amount"], "$0.00")
        self.assertIn("nothing charged, the $0.64 held was released", row["Detail"])
        self.assertIn("cancelled before it was sent", row["Detail"])
        self.assertIn("“Snow on pines”", row["About"])
        cancelled = self.the_row("cancelled")
        self.assertEqual(cancelled["Amount"], "")  # the money is on the release's line

    def test_an_admin_verdict_names_the_job_and_what_was_charged(self):
        job = make_generation(self.alice, prompt="Snow on pines", seconds=8)
        job.task_id = "task_1"
        job.mark_uncertain()
        job.save()
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        self.client.force_login(self.carol)
        self.client.post(reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"})

        row = self.the_row("resolved a reservation")
        self.assertEqual((row["Who"], row["Amount"]), ("carol", "$0.00"))
        self.assertIn("alice", row["About"])
        self.assertIn("“Snow on pines”", row["About"])
        self.assertIn("marked as not charged", row["Detail"])

    def test_money_lines_filter_by_action_and_person_and_export(self):
        make_generation(self.alice, prompt="Snow on pines", seconds=8)
        make_generation(self.bob, prompt="Rain on tin", seconds=4)

        rows = self.rows("reserved", action="reserved", person=self.bob.pk)
        self.assertEqual([(r["Who"], r["Amount"]) for r in rows], [("bob", "$0.32")])
        self.client.force_login(self.carol)
        response = self.client.get(reverse("billing:audit_csv"), {"action": "reserved"})
        lines = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual(sorted(line[5] for line in lines[1:]), ["0.3200", "0.6400"])


@pytest.mark.usefixtures("sim")
class ChargedTests(AuditTestCase):
    def test_a_made_video_is_charged_against_it_by_the_system(self):
        job = drive(make_generation(self.alice, prompt="Snow on pines", seconds=8))
        self.assertEqual(job.status, "ready")

        row = self.the_row("charged")
        self.assertEqual((row["Who"], row["Amount"]), ("the system", "$0.64"))
        self.assertIn("the video was made", row["Detail"])
        self.assertIn("alice", row["About"])
        spent = sum(e.charged for e in LedgerEntry.objects.all())
        self.assertEqual(spent, Decimal("0.64"))
