"""On PostgreSQL a `Prepared` query is prepared on the server once per connection, with its
constants written into its text: same answers, no planning on each page load."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations.models import RUNNING, Generation, Status
from generations.video_page import PAGE_FACTS
from lib.prepared import Prepared, asked_together, statement_cursor
from tests.helpers import StudioTestCase, make_generation, make_ready_generation

USER_PK = Generation._meta.get_field("owner").target_field
ON_POSTGRESQL = connection.vendor == "postgresql"


def prepared_texts() -> list[str]:
    """The statements this connection has PostgreSQL keep, by their text."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [text for (text,) in cursor.fetchall()]


class WrittenInTests(StudioTestCase):
    def test_a_percent_sign_in_a_constant_stays_a_percent_sign(self):
        make_generation(self.alice, prompt="100% orange")
        make_generation(self.alice, prompt="a lemon")
        query = Prepared(
            lambda pk: Generation.objects.filter(owner_id=pk, prompt__contains="% or").values_list(
                "prompt"
            ),
            USER_PK,
        )

        self.assertEqual(query.rows(self.alice.pk), [("100% orange",)])
        self.assertEqual(query.rows(self.bob.pk), [])

    def test_only_the_values_asked_with_are_left_as_parameters(self):
        sql, params = RUNNING.statement(self.alice.pk)

        if ON_POSTGRESQL:
            # The statuses are constants of the statement's text, as PostgreSQL plans them.
            self.assertEqual(params, [self.alice.pk])
            self.assertIn(f"'{Status.RENDERING}'", sql)
        else:
            self.assertEqual(params[0], self.alice.pk)
            self.assertIn(Status.RENDERING, params)

    def test_asked_together_answers_as_each_alone(self):
        job = make_ready_generation(self.alice, prompt="50% off")
        make_generation(self.alice)
        asks = [(RUNNING, (self.alice.pk,)), (PAGE_FACTS, (self.alice.pk, job.pk))]

        with CaptureQueriesContext(connection) as seen:
            found = asked_together([query.statement(*values) for query, values in asks])

        self.assertEqual(found, [query.rows(*values) for query, values in asks])
        # One round trip on PostgreSQL (one pipeline), counted as one query.
        self.assertEqual(len(seen.captured_queries), 1 if ON_POSTGRESQL else 2)


class ServerPreparedTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        if not ON_POSTGRESQL:
            self.skipTest("SQLite has no server to prepare statements on")

    def test_a_video_page_s_reads_are_kept_prepared_by_the_server(self):
        job = make_ready_generation(self.alice)
        self.client.force_login(self.alice)

        for _ in range(2):
            response = self.client.get(reverse("generations:detail", args=[job.pk]))
            self.assertEqual(response.status_code, 200)

        kept = prepared_texts()
        facts_sql, _ = PAGE_FACTS.statement(self.alice.pk, job.pk)
        before_its_first_value = facts_sql.split("%s")[0]
        self.assertTrue(any(text.startswith(before_its_first_value) for text in kept), kept)
        # Its history, versions and the rest, asked in one pipeline, each kept too.
        self.assertGreaterEqual(len(kept), 5)

    def test_a_statement_prepared_once_answers_for_new_values(self):
        mine = make_generation(self.alice)
        theirs = make_generation(self.bob)

        with statement_cursor() as cursor:
            for person, job in ((self.alice, mine), (self.bob, theirs), (self.alice, mine)):
                cursor.execute(*RUNNING.statement(person.pk))
                self.assertEqual([row[0] for row in cursor.fetchall()], [job.pk])
        self.assertEqual(sum(1 for text in prepared_texts() if "generations_generation" in text), 1)
