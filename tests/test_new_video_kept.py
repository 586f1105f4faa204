"""A blank New video form draws its fields, from the preset picker to the first frame, once
for everyone who sees the same presets, style blocks and projects, and keeps that drawing.
Whatever the form shows changes on the very next load: a preset, a style block, a project,
the last project used, the price, the cap, the studio's sharing rule."""

import re
from decimal import Decimal

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from billing.models import Member, Price, StudioSettings
from generations.models import Project
from prompts.models import Preset, Scope, StyleBlock
from tests.helpers import StudioTestCase, make_generation

CREATE_URL = reverse("generations:create")


def preset_of(owner, name: str, **fields) -> Preset:
    return Preset.objects.create(owner=owner, name=name, prompt="A kite over {place}.", **fields)


def comparable(html: str) -> str:
    """A page with what differs on every load (the form's token, the CSRF token, the
    script nonce) taken out."""
    html = re.sub(r'name="client_token" value="[^"]+"', 'name="client_token"', html)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)


class KeptDrawingTests(StudioTestCase):
    def page(self, path: str = CREATE_URL) -> str:
        response = self.client.get(path)
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_the_kept_page_is_the_page_drawn_afresh(self):
        spring = Project.objects.create(name='Spring & "Co" <b>', created_by=self.alice)
        make_generation(self.alice, project=spring)
        preset_of(self.alice, "Mine")
        preset_of(self.bob, "Team's", scope=Scope.TEAM)
        StyleBlock.objects.create(name="Warm", text="warm <light>", created_by=self.bob)
        cache.clear()

        drawn = self.page()
        kept = self.page()

        self.assertEqual(comparable(kept), comparable(drawn))
        self.assertIn("Spring &amp; &quot;Co&quot; &lt;b&gt;", kept)
        self.assertIn('data-style-text="warm &lt;light&gt;"', kept)

    def test_each_load_has_a_form_token_of_its_own(self):
        tokens = {
            re.search(r'name="client_token" value="([^"]+)"', self.page()).group(1)
            for _ in range(2)
        }
        self.assertEqual(len(tokens), 2)

    def test_a_new_preset_shows_at_once_and_a_removed_one_goes(self):
        self.assertIn("No presets yet", self.page())
        preset = preset_of(self.alice, "Bottle on marble")

        self.assertIn(f'<option value="{preset.pk}">Bottle on marble</option>', self.page())

        preset.name = "Bottle on slate"
        preset.save()
        self.assertIn("Bottle on slate", self.page())

        preset.delete()
        page = self.page()
        self.assertNotIn("Bottle on", page)
        self.assertIn("No presets yet", page)

    def test_someone_else_s_personal_preset_never_shows_in_my_kept_form(self):
        preset_of(self.bob, "Bob secret")
        self.client.force_login(self.bob)
        self.assertIn("Bob secret", self.page())

        self.client.force_login(self.alice)
        self.assertNotIn("Bob secret", self.page())

    def test_the_preset_asked_for_is_chosen(self):
        preset = preset_of(self.alice, "Bottle")
        self.page()

        page = self.page(f"{CREATE_URL}?preset={preset.pk}")

        self.assertIn(f'<option value="{preset.pk}" selected>Bottle</option>', page)
        self.assertIn('data-auto="1"', page)
        self.assertNotIn(" selected>Bottle", self.page())

    def test_a_new_style_block_shows_at_once(self):
        self.assertIn("none yet.", self.page())
        StyleBlock.objects.create(name="Golden hour", text="golden hour light", created_by=self.bob)

        page = self.page()

        self.assertIn("+ Golden hour", page)
        self.assertNotIn("none yet.", page)

    def test_a_new_renamed_or_archived_project_shows_at_once(self):
        self.assertNotIn('id="id_project"', self.page())
        launch = Project.objects.create(name="Launch", created_by=self.bob)

        page = self.page()
        self.assertIn(f'<option value="{launch.pk}">Launch</option>', page)
        self.assertIn('<select id="preset-project">', page)  # Save as preset: for a project

        Project.objects.filter(pk=launch.pk).update(name="Relaunch")
        self.assertIn(f'<option value="{launch.pk}">Relaunch</option>', self.page())

        Project.objects.filter(pk=launch.pk).update(archived_at=timezone.now())
        page = self.page()
        self.assertNotIn("Relaunch", page)
        self.assertNotIn('id="id_project"', page)

    def test_the_form_starts_in_the_project_of_my_newest_video_at_once(self):
        first = Project.objects.create(name="First", created_by=self.alice)
        second = Project.objects.create(name="Second", created_by=self.alice)
        make_generation(self.alice, project=first)
        self.assertIn(f'<option value="{first.pk}" selected>First</option>', self.page())

        make_generation(self.alice, project=second)

        page = self.page()
        self.assertIn(f'<option value="{second.pk}" selected>Second</option>', page)
        self.assertIn(f'<option value="{first.pk}">First</option>', page)

    def test_a_new_price_shows_at_once(self):
        self.assertIn("$0.32 · 4 s × $0.08/s", self.page())
        Price.objects.filter(model="veo3.1-fast", tier="720p").update(
            list_per_second=Decimal("0.20")
        )

        self.assertIn("$0.64 · 4 s × $0.16/s", self.page())

    def test_a_new_cap_shows_at_once(self):
        self.assertIn("No monthly cap.", self.page())
        Member.for_user(self.alice)
        Member.objects.filter(user=self.alice).update(monthly_cap=Decimal("0.20"))

        page = self.page()

        self.assertIn("Left this month: $0.20 of your $0.20 cap", page)
        self.assertIn('id="estimate-refusal"', page)

    def test_the_studio_s_sharing_rule_shows_at_once(self):
        self.assertNotIn("will be shared with the team", self.page())
        StudioSettings.objects.filter(pk=StudioSettings.load().pk).update(share_new_videos=True)

        self.assertIn("will be shared with the team", self.page())

    def test_a_form_starting_in_a_project_with_a_budget_says_what_it_has_left(self):
        launch = Project.objects.create(
            name="Launch", created_by=self.alice, monthly_budget=Decimal("5.00")
        )
        make_generation(self.alice, project=launch)

        page = self.page()

        self.assertIn(f'<option value="{launch.pk}" selected>Launch</option>', page)
        self.assertIn("Left in “Launch”: $4.68 this month.", page)  # $0.32 held for the video
