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
from prompts.forms import StyleBlockForm
from prompts.models import Preset, Scope, StyleBlock
from prompts.views import blank_block_fields
from tests.helpers import StudioTestCase, make_user

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
