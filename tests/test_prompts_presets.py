"""Presets: Alice saves the New video form as a named preset, picks it again, fills its
variables, and the videos it makes are counted on the library page; who sees a preset is
its owner (personal), the studio (team) or a project's people (project); anyone else gets
404 at every preset URL."""

import json
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from generations.models import Generation, Project, ReviewStatus
from prompts.models import Preset, PresetUse, Scope, StyleBlock

from .factories_media import jpeg_bytes
from .helpers import StudioTestCase, make_generation, make_user, valid_data

TEMPLATE = "A bottle of {product} on wet marble, soft morning light."


def preset_of(owner, **fields) -> Preset:
    values = {"name": "Product shot", "prompt": TEMPLATE, "scope": Scope.PERSONAL, **fields}
    return Preset.objects.create(owner=owner, **values)


def stored(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


class SavingFromTheFormTests(StudioTestCase):
    def save(self, **fields):
        data = {
            **valid_data(prompt=TEMPLATE, model="veo3.1", size="1920x1080", seconds="8"),
            "takes": "2",
            "preset_name": "  Product   shot ",
            "preset_scope": "team",
            **fields,
        }
        return json.loads(self.client.post(reverse("prompts:save"), data).content)

    def test_the_form_as_it_stands_becomes_a_named_preset(self):
        answer = self.save()
        self.assertTrue(answer["ok"], answer)
        preset = Preset.objects.get()
        self.assertEqual(
            (preset.name, preset.owner, preset.scope, preset.prompt),
            ("Product shot", self.alice, Scope.TEAM, TEMPLATE),
        )
        self.assertEqual(
            (preset.model, preset.size, preset.seconds, preset.takes), ("veo3.1", "1920x1080", 8, 2)
        )
        self.assertEqual(preset.variables, ["product"])
        self.assertEqual(
            answer["preset"], {"id": preset.pk, "name": "Product shot", "group": "Team presets"}
        )
        self.assertEqual(answer["message"], "Saved as the preset “Product shot” (team).")

    def test_its_first_frame_is_stored_as_a_videos_is(self):
        picture = SimpleUploadedFile("still.png", jpeg_bytes(640, 360), "image/jpeg")
        self.assertTrue(self.save(first_frame=picture)["ok"])
        preset = Preset.objects.get()
        self.assertTrue(preset.first_frame.name.startswith("first-frames/"))
        self.assertTrue(stored(preset.first_frame.name).is_file())
        self.assertTrue(stored(preset.first_frame_thumbnail.name).is_file())

    def test_a_broken_variable_is_refused_with_a_sentence_and_nothing_is_saved(self):
        answer = self.save(prompt="A bottle of {product on marble")
        self.assertFalse(answer["ok"])
        self.assertIn("is never closed", answer["message"])
        self.assertFalse(Preset.objects.exists())

    def test_a_preset_needs_a_name(self):
        answer = self.save(preset_name="   ")
        self.assertEqual(answer, {"ok": False, "message": "Please give the preset a name."})

    def test_the_eight_second_rule_holds_for_presets_too(self):
        answer = self.save(seconds="4")
        self.assertFalse(answer["ok"])
        self.assertIn("only available as an 8-second clip", answer["message"])

    def test_a_project_preset_needs_a_project_the_person_may_use(self):
        self.assertIn("Pick the project", self.save(preset_scope="project")["message"])
        limited = Project.objects.create(name="Secret", created_by=self.bob)
        limited.set_people(True, [self.bob])
        answer = self.save(preset_scope="project", preset_project=str(limited.pk))
        self.assertFalse(answer["ok"])
        self.assertFalse(Preset.objects.exists())


class UsingAPresetTests(StudioTestCase):
    def test_picking_a_preset_gives_its_settings_and_variables(self):
        preset = preset_of(self.alice, model="veo3.1", size="720x1280", seconds=6, takes=3)
        answer = self.client.post(reverse("prompts:use", args=[preset.pk])).json()
        self.assertEqual(answer["variables"], ["product"])
        self.assertEqual(answer["prompt"], "")  # filled in from the variables' fields
        self.assertEqual(
            (answer["model"], answer["size"], answer["seconds"], answer["takes"]),
            ("veo3.1", "720x1280", 6, 3),
        )
        self.assertIsNone(answer["frame"])

    def test_a_preset_without_variables_gives_its_prompt_braces_unescaped(self):
        preset = preset_of(self.alice, prompt="A neon sign reading {{OPEN}}.")
        answer = self.client.post(reverse("prompts:use", args=[preset.pk])).json()
        self.assertEqual(answer["prompt"], "A neon sign reading {OPEN}.")

    def test_its_first_frame_is_handed_to_the_form_as_a_kept_picture(self):
        self.client.post(
            reverse("prompts:save"),
            {
                **valid_data(prompt=TEMPLATE),
                "preset_name": "With a still",
                "first_frame": SimpleUploadedFile("s.jpg", jpeg_bytes(640, 360), "image/jpeg"),
            },
        )
        preset = Preset.objects.get()
        frame = self.client.post(reverse("prompts:use", args=[preset.pk])).json()["frame"]
        self.assertEqual((frame["width"], frame["height"]), (640, 360))
        self.assertTrue(frame["url"].startswith("data:image/jpeg;base64,"))
        # The New video form takes the kept picture by its token and makes the video from it.
        response = self.client.post(
            reverse("generations:create"),
            valid_data(
                prompt="A bottle of perfume.", first_frame_token=frame["token"], preset=preset.pk
            ),
        )
        self.assertEqual(response.status_code, 302)
        video = Generation.objects.get()
        self.assertTrue(video.first_frame)
        self.assertNotEqual(video.first_frame.name, preset.first_frame.name)

    def test_filling_the_variables_gives_the_prompt_to_edit(self):
        preset = preset_of(self.alice)
        answer = self.client.post(
            reverse("prompts:fill", args=[preset.pk]), {"var_product": "perfume"}
        )
        self.assertEqual(
            answer.json(),
            {"ok": True, "prompt": "A bottle of perfume on wet marble, soft morning light."},
        )

    def test_an_unfilled_or_unknown_variable_gets_a_friendly_sentence(self):
        preset = preset_of(self.alice)
        empty = self.client.post(reverse("prompts:fill", args=[preset.pk]), {"var_product": " "})
        self.assertEqual(empty.json(), {"ok": False, "message": "Please fill in {product} first."})
        unknown = self.client.post(
            reverse("prompts:fill", args=[preset.pk]), {"var_product": "soap", "var_colour": "red"}
        )
        self.assertIn("This preset has no {colour}", unknown.json()["message"])

    def test_the_new_video_form_lists_the_presets_and_the_style_blocks(self):
        preset_of(self.alice, name="Mine")
        preset_of(self.bob, name="Team one", scope=Scope.TEAM)
        preset_of(self.bob, name="Bob's own")
        StyleBlock.objects.create(
            name="Brand look", text="warm tones, 35 mm film", created_by=self.bob
        )
        page = self.client.get(reverse("generations:create")).content.decode()
        self.assertIn('<optgroup label="My presets">', page)
        self.assertIn('<optgroup label="Team presets">', page)
        self.assertIn(">Mine</option>", page)
        self.assertIn(">Team one</option>", page)
        self.assertNotIn("Bob&#x27;s own", page)
        self.assertIn('data-style-text="warm tones, 35 mm film"', page)
        self.assertIn("Improve my prompt", page)

    def test_the_library_use_link_picks_the_preset_on_the_form(self):
        preset = preset_of(self.alice)
        page = self.client.get(
            reverse("generations:create") + f"?preset={preset.pk}"
        ).content.decode()
        self.assertIn(f'<option value="{preset.pk}" selected>', page)
        self.assertIn('data-auto="1"', page)


class RecordingUsesTests(StudioTestCase):
    def create(self, preset, **fields):
        data = {"prompt": "A bottle of perfume on wet marble.", "preset": str(preset.pk), **fields}
        return self.client.post(reverse("generations:create"), valid_data(**data))

    def test_a_video_made_from_a_preset_records_it(self):
        preset = preset_of(self.alice)
        self.assertEqual(self.create(preset).status_code, 302)
        video = Generation.objects.get()
        self.assertEqual(
            list(PresetUse.objects.values_list("preset", "generation")), [(preset.pk, video.pk)]
        )

    def test_every_take_is_a_use(self):
        preset = preset_of(self.alice)
        self.create(preset, takes="3")
        self.assertEqual(PresetUse.objects.filter(preset=preset).count(), 3)

    def test_the_same_post_twice_records_one_use(self):
        preset = preset_of(self.alice)
        data = {"client_token": "8a6f0f9e-8f57-4c1b-9d0e-2d7d7b1f6a11"}
        self.create(preset, **data)
        self.create(preset, **data)
        self.assertEqual(Generation.objects.count(), 1)
        self.assertEqual(PresetUse.objects.count(), 1)

    def test_a_preset_the_maker_may_not_see_is_not_recorded(self):
        hidden = preset_of(self.bob)
        self.assertEqual(self.create(hidden).status_code, 302)
        self.assertFalse(PresetUse.objects.exists())

    def test_a_refused_form_records_nothing(self):
        preset = preset_of(self.alice)
        self.create(preset, prompt="")
        self.assertFalse(PresetUse.objects.exists())

    def test_the_library_counts_uses_approvals_and_stars(self):
        preset = preset_of(self.alice, scope=Scope.TEAM)
        videos = [make_generation(self.alice) for _ in range(3)]
        for video in videos:
            PresetUse.objects.create(preset=preset, generation=video)
        videos[0].decide_for(self.alice, ReviewStatus.APPROVED)
        videos[1].set_star_for(self.alice, True)
        videos[1].set_star_for(self.bob, True)  # two stars, one starred video
        preset_of(self.alice, name="Unused")
        page = self.client.get(reverse("prompts:library")).content.decode()
        row = page.split(f'id="preset-{preset.pk}"')[1].split("</li>")[0]
        self.assertIn("Used for <strong>3</strong> videos", row)
        self.assertIn("<strong>1</strong> approved", row)
        self.assertIn("<strong>1</strong> starred", row)


class VisibilityTests(StudioTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.admin = make_user("boss", is_staff=True)
        cls.carol = make_user("carol")
        cls.limited = Project.objects.create(name="Perfume launch", created_by=cls.admin)
        cls.limited.set_people(True, [cls.carol])
        cls.open_project = Project.objects.create(name="Bakery", created_by=cls.bob)

    def visible(self, user) -> set[str]:
        return set(Preset.objects.visible_to(user).values_list("name", flat=True))

    def test_personal_presets_are_their_owners_alone(self):
        preset_of(self.alice, name="Alice's")
        self.assertEqual(self.visible(self.alice), {"Alice's"})
        self.assertEqual(self.visible(self.bob), set())
        self.assertEqual(self.visible(self.admin), set())

    def test_team_presets_are_everyones(self):
        preset_of(self.bob, name="House style", scope=Scope.TEAM)
        for person in (self.alice, self.bob, self.carol, self.admin):
            self.assertEqual(self.visible(person), {"House style"})

    def test_project_presets_follow_who_sees_the_project(self):
        preset_of(self.carol, name="Launch", scope=Scope.PROJECT, project=self.limited)
        preset_of(self.bob, name="Bread", scope=Scope.PROJECT, project=self.open_project)
        self.assertEqual(self.visible(self.carol), {"Launch", "Bread"})
        self.assertEqual(self.visible(self.admin), {"Launch", "Bread"})
        self.assertEqual(self.visible(self.alice), {"Bread"})

    def test_others_get_404_at_every_preset_url(self):
        preset = preset_of(self.bob, name="Bob's secret 5c2a")
        for name in ("use", "fill", "duplicate", "delete", "edit"):
            for method in ("get", "post"):
                response = getattr(self.client, method)(
                    reverse(f"prompts:{name}", args=[preset.pk])
                )
                self.assertIn(response.status_code, (404, 405), f"{method} {name}")
                self.assertNotIn(b"5c2a", response.content)
        self.assertTrue(Preset.objects.filter(pk=preset.pk).exists())
        self.assertNotIn("5c2a", self.client.get(reverse("prompts:library")).content.decode())

    def test_a_teammate_uses_and_duplicates_a_team_preset_but_only_its_owner_changes_it(self):
        preset = preset_of(self.bob, scope=Scope.TEAM)
        self.assertEqual(
            self.client.post(reverse("prompts:use", args=[preset.pk])).status_code, 200
        )
        self.assertEqual(
            self.client.get(reverse("prompts:edit", args=[preset.pk])).status_code, 404
        )
        self.assertEqual(
            self.client.post(reverse("prompts:delete", args=[preset.pk])).status_code, 404
        )
        response = self.client.post(reverse("prompts:duplicate", args=[preset.pk]))
        copy = Preset.objects.get(owner=self.alice)
        self.assertRedirects(response, reverse("prompts:edit", args=[copy.pk]))
        self.assertEqual(
            (copy.name, copy.scope, copy.prompt), ("Copy of Product shot", Scope.PERSONAL, TEMPLATE)
        )

    def test_an_admin_edits_and_deletes_team_presets_but_not_personal_ones(self):
        team = preset_of(self.bob, name="Team", scope=Scope.TEAM)
        personal = preset_of(self.bob, name="Personal")
        self.client.force_login(self.admin)
        response = self.client.post(
            reverse("prompts:edit", args=[team.pk]),
            {
                "name": "Team, tidied",
                "scope": "team",
                "prompt": TEMPLATE,
                "model": "veo3.1-fast",
                "size": "1280x720",
                "seconds": "4",
                "takes": "1",
            },
        )
        self.assertEqual(response.status_code, 302)
        team.refresh_from_db()
        self.assertEqual((team.name, team.owner), ("Team, tidied", self.bob))
        self.assertEqual(
            self.client.get(reverse("prompts:edit", args=[personal.pk])).status_code, 404
        )
        self.client.post(reverse("prompts:delete", args=[team.pk]))
        self.assertFalse(Preset.objects.filter(pk=team.pk).exists())

    def test_deleting_a_preset_removes_its_files_and_keeps_its_videos(self):
        self.client.post(
            reverse("prompts:save"),
            {
                **valid_data(prompt=TEMPLATE),
                "preset_name": "Still",
                "first_frame": SimpleUploadedFile("s.jpg", jpeg_bytes(320, 180), "image/jpeg"),
            },
        )
        preset = Preset.objects.get()
        video = make_generation(self.alice)
        PresetUse.objects.create(preset=preset, generation=video)
        files = [stored(preset.first_frame.name), stored(preset.first_frame_thumbnail.name)]
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("prompts:delete", args=[preset.pk]))
        self.assertFalse(any(path.exists() for path in files))
        self.assertTrue(Generation.objects.filter(pk=video.pk).exists())

    def test_editing_replaces_or_removes_the_first_frame_and_its_old_files_go(self):
        self.client.post(
            reverse("prompts:save"),
            {
                **valid_data(prompt=TEMPLATE),
                "preset_name": "Still",
                "first_frame": SimpleUploadedFile("s.jpg", jpeg_bytes(320, 180), "image/jpeg"),
            },
        )
        preset = Preset.objects.get()
        first = [stored(preset.first_frame.name), stored(preset.first_frame_thumbnail.name)]
        fields = {
            "name": "Still",
            "scope": "personal",
            "prompt": TEMPLATE,
            "model": "veo3.1-fast",
            "size": "1280x720",
            "seconds": "4",
            "takes": "1",
        }
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("prompts:edit", args=[preset.pk]),
                {
                    **fields,
                    "first_frame": SimpleUploadedFile("t.jpg", jpeg_bytes(640, 360), "image/jpeg"),
                },
            )
        self.assertEqual(response.status_code, 302)
        preset.refresh_from_db()
        self.assertFalse(any(path.exists() for path in first))
        self.assertEqual(preset.frame().width, 640)
        second = stored(preset.first_frame.name)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                reverse("prompts:edit", args=[preset.pk]), {**fields, "remove_first_frame": "on"}
            )
        preset.refresh_from_db()
        self.assertIsNone(preset.frame())
        self.assertFalse(second.exists())

    def test_a_bad_edit_keeps_the_preset_as_it_was(self):
        preset = preset_of(self.alice)
        response = self.client.post(
            reverse("prompts:edit", args=[preset.pk]),
            {
                "name": "",
                "scope": "personal",
                "prompt": "A {broken",
                "model": "veo3.1-fast",
                "size": "1280x720",
                "seconds": "4",
                "takes": "1",
            },
        )
        self.assertContains(response, "Please give the preset a name.")
        self.assertContains(response, "is never closed")
        preset.refresh_from_db()
        self.assertEqual((preset.name, preset.prompt), ("Product shot", TEMPLATE))

    def test_the_library_searches_names_and_prompts(self):
        preset_of(self.alice, name="Perfume hero", prompt="A {product} on glass")
        preset_of(self.alice, name="Bakery", prompt="Warm bread at dawn")
        page = self.client.get(reverse("prompts:library"), {"q": "glass"}).content.decode()
        self.assertIn("Perfume hero", page)
        self.assertNotIn(">Bakery<", page)


class StyleBlockTests(StudioTestCase):
    def test_anyone_adds_a_block_and_only_its_author_or_an_admin_changes_it(self):
        self.client.post(
            reverse("prompts:block_add"), {"name": "Brand look", "text": "warm  tones, 35 mm"}
        )
        block = StyleBlock.objects.get()
        self.assertEqual(
            (block.name, block.text, block.created_by),
            ("Brand look", "warm tones, 35 mm", self.alice),
        )
        self.client.force_login(self.bob)
        self.assertEqual(
            self.client.post(reverse("prompts:block_delete", args=[block.pk])).status_code, 404
        )
        self.assertEqual(
            self.client.get(reverse("prompts:block_edit", args=[block.pk])).status_code, 404
        )
        self.client.force_login(make_user("boss", is_staff=True))
        self.client.post(
            reverse("prompts:block_edit", args=[block.pk]), {"name": "Brand", "text": "cool tones"}
        )
        block.refresh_from_db()
        self.assertEqual(block.text, "cool tones")
        self.client.post(reverse("prompts:block_delete", args=[block.pk]))
        self.assertFalse(StyleBlock.objects.exists())

    def test_a_block_with_braces_is_refused_plainly(self):
        response = self.client.post(
            reverse("prompts:block_add"), {"name": "X", "text": "a {thing}"}, follow=True
        )
        self.assertContains(response, "A style block cannot hold { or }")
        self.assertFalse(StyleBlock.objects.exists())
