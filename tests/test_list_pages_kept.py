"""The presets library and the batches page draw what stays the same from load to load once
per process (a blank form's fields, URLs reversed with a stand-in id) and read their lists
with queries built once: the same HTML as drawing it all each time, the same rows as the
querysets they stand for."""

from datetime import timedelta

from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from batches.forms import SheetForm
from batches.models import Batch
from batches.views import blank_sheet_fields, earlier_batches
from generations.models import Favourite, Project, ReviewStatus
from prompts.forms import StyleBlockForm
from prompts.models import Preset, PresetUse, Scope, StyleBlock, library_presets
from prompts.views import blank_block_fields
from tests.helpers import StudioTestCase, make_generation, make_user

# What library.html drew on every load before blank_block_fields() kept it.
BLOCK_FIELDS = """<div class="inline-fields">
      <div><label for="{{ block_form.name.id_for_label }}">{{ block_form.name.label }}</label>{{ block_form.name }}</div>
      <div><label for="{{ block_form.text.id_for_label }}">{{ block_form.text.label }}</label>{{ block_form.text }}</div>
      <button type="submit" class="button">Add style block</button>
    </div>"""

# And batches.html.
SHEET_FIELDS = """<div class="field">
      <label for="{{ form.sheet.id_for_label }}">{{ form.sheet.label }}</label>
      <div class="dropzone">{{ form.sheet }}</div>
      <p class="hint">{{ form.sheet.help_text }}</p>
    </div>
    <div class="field">
      <label for="{{ form.rows.id_for_label }}">{{ form.rows.label }}</label>
      {{ form.rows }}
      <p class="hint">{{ form.rows.help_text }}</p>
    </div>"""


class PresetsLibraryTests(StudioTestCase):
    def test_the_kept_style_block_fields_are_a_blank_form_s(self):
        expected = Template(BLOCK_FIELDS).render(Context({"block_form": StyleBlockForm()}))
        self.assertEqual(blank_block_fields(), expected)
        page = self.client.get(reverse("prompts:library"))
        self.assertContains(page, expected)

    def test_each_row_s_links_are_reverse_s(self):
        admin = make_user("ada", is_staff=True)
        mine = Preset.objects.create(name="Mine", owner=admin, prompt="A kite")
        team = Preset.objects.create(name="Team", owner=self.alice, prompt="A", scope=Scope.TEAM)
        block = StyleBlock.objects.create(name="Look", text="warm", created_by=admin)
        self.client.force_login(admin)
        page = self.client.get(reverse("prompts:library"))
        for preset in (mine, team):
            for name in ("prompts:edit", "prompts:duplicate", "prompts:delete"):
                self.assertContains(page, f'"{reverse(name, args=[preset.pk])}"')
            self.assertContains(page, f'href="{reverse("generations:create")}?preset={preset.pk}"')
        for name in ("prompts:block_edit", "prompts:block_delete"):
            self.assertContains(page, f'"{reverse(name, args=[block.pk])}"')
        self.assertContains(page, f'action="{reverse("prompts:block_add")}"')
        self.assertContains(page, f'action="{reverse("prompts:settings")}"')


class LibraryRowsTests(StudioTestCase):
    """library_rows() counts with a subquery each what with_outcomes() counts with joins."""

    def test_the_counts_names_and_projects_are_the_orm_s(self):
        admin = make_user("ada", is_staff=True)
        project = Project.objects.create(name="Launch", created_by=self.bob)
        mine = Preset.objects.create(name="Mine", owner=self.alice, prompt="A thing")
        team = Preset.objects.create(name="Team", owner=self.bob, prompt="B", scope=Scope.TEAM)
        Preset.objects.create(
            name="In project", owner=self.bob, prompt="C", scope=Scope.PROJECT, project=project
        )
        Preset.objects.create(name="Bob's own", owner=self.bob, prompt="D")
        approved_and_starred = make_generation(self.alice, review_status=ReviewStatus.APPROVED)
        starred_twice = make_generation(self.alice)
        for generation in (approved_and_starred, starred_twice, make_generation(self.alice)):
            PresetUse.objects.create(preset=mine, generation=generation)
        PresetUse.objects.create(preset=team, generation=starred_twice)
        for person in (self.alice, self.bob):
            Favourite.objects.create(person=person, generation=starred_twice)
        Favourite.objects.create(person=self.alice, generation=approved_and_starred)

        def shown(presets):
            return [
                (
                    p.pk,
                    p.name,
                    p.owner.pk,
                    p.owner.get_username(),
                    p.project.name if p.project_id else None,
                    p.scope_label,
                    p.used,
                    p.approved,
                    p.starred,
                )
                for p in presets
            ]

        for person in (self.alice, self.bob, admin):
            with self.subTest(person=person.username):
                expected = Preset.objects.visible_to(person).with_outcomes().order_by("name", "pk")
                expected = expected.select_related("owner", "project")
                self.assertEqual(shown(library_presets(person)), shown(expected))
                searched = expected.filter(name__icontains="m")
                self.assertEqual(shown(library_presets(person, "m")), shown(searched))
        counts = {p.name: (p.used, p.approved, p.starred) for p in library_presets(self.alice)}
        self.assertEqual(counts["Mine"], (3, 1, 2))
        self.assertEqual(counts["Team"], (1, 0, 1))
        self.assertEqual(counts["In project"], (0, 0, 0))


class BatchesPageTests(StudioTestCase):
    def test_the_kept_sheet_fields_are_a_blank_form_s(self):
        expected = Template(SHEET_FIELDS).render(Context({"form": SheetForm()}))
        self.assertEqual(blank_sheet_fields(), expected)
        self.assertContains(self.client.get(reverse("batches:batches")), expected)

    def test_a_refused_sheet_draws_its_own_fields(self):
        response = self.client.post(reverse("batches:batches"), {"rows": "title\nKite\n"})
        self.assertEqual(response.status_code, 200)
        expected = Template(SHEET_FIELDS).render(Context({"form": response.context["form"]}))
        self.assertContains(response, expected)
        self.assertContains(response, "prompt")

    def test_the_earlier_batches_are_the_person_s_latest_twenty_with_their_pages(self):
        now = timezone.now()
        for n in range(22):
            Batch.objects.create(
                owner=self.alice,
                name="" if n == 21 else f"Sheet {n}.csv",
                created_at=now - timedelta(minutes=n),
                generated_at=now if n % 2 else None,
            )
        Batch.objects.create(owner=self.bob, name="Bob's.csv")
        found = earlier_batches(self.alice)
        expected = list(Batch.objects.for_user(self.alice)[:20])
        self.assertEqual(
            [(b.pk, str(b), b.created_at, b.generated_at, b.is_generated) for b, _ in found],
            [(b.pk, str(b), b.created_at, b.generated_at, b.is_generated) for b in expected],
        )
        self.assertEqual([url for _, url in found], [b.get_absolute_url() for b in expected])
        page = self.client.get(reverse("batches:batches"))
        self.assertContains(page, f'<a href="{expected[0].get_absolute_url()}">Sheet 0.csv</a>')
        self.assertNotContains(page, "Bob")
