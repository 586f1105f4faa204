"""Projects: a team's work gathered by campaign or client. Making, renaming, archiving and
restoring a project; putting videos in it (on the New video form, from a video's page, from
a selection); its page (the gallery scoped to it, who made what, its spend); the projects
list; the project filter of the gallery and the Team view."""

from datetime import UTC, datetime
from decimal import Decimal

import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from billing import ledger
from generations.models import EventKind, Generation, Project

from .helpers import StudioTestCase, make_generation, make_ready_generation, make_user, valid_data


def charged(owner, **fields) -> Generation:
    """An 8-second Veo 3.1 Fast video CometAPI made: $0.64 charged."""
    job = make_generation(owner, model="veo3.1-fast", seconds=8, **fields)
    job.mark_rendered("https://cometapi.invalid/video.mp4")
    job.save()
    return job


def held(owner, **fields) -> Generation:
    """An 8-second Veo 3.1 Fast video still being made: $0.64 held."""
    return make_generation(owner, model="veo3.1-fast", seconds=8, **fields)


def project_of(owner, name="Spring perfume", **fields) -> Project:
    return Project.objects.create(name=name, created_by=owner, **fields)


class MakingAProjectTests(StudioTestCase):
    def test_a_person_makes_a_project_and_lands_on_its_page(self):
        response = self.client.post(
            reverse("generations:projects"),
            {"name": "  Spring   perfume ", "description": "The May launch.", "colour": "pink"},
        )

        project = Project.objects.get()
        self.assertRedirects(response, project.get_absolute_url())
        self.assertEqual((project.name, project.colour), ("Spring perfume", "pink"))
        self.assertEqual(project.created_by, self.alice)
        page = self.client.get(project.get_absolute_url())
        self.assertContains(page, "The May launch.")
        self.assertContains(page, "Everyone in the studio sees its videos.")

    def test_a_project_without_a_name_is_refused_in_a_plain_sentence_and_nothing_is_saved(self):
        response = self.client.post(
            reverse("generations:projects"), {"name": "   ", "colour": "blue"}
        )

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Please give the project a name.")
        self.assertFalse(Project.objects.exists())

    def test_its_maker_renames_and_describes_it(self):
        project = project_of(self.alice)

        response = self.client.post(
            reverse("generations:project_edit", args=[project.pk]),
            {"name": "Summer perfume", "description": "Moved to June.", "colour": "teal"},
        )

        self.assertRedirects(response, project.get_absolute_url())
        project.refresh_from_db()
        self.assertEqual((project.name, project.description), ("Summer perfume", "Moved to June."))

    def test_a_teammate_sees_the_project_but_may_not_change_it(self):
        project = project_of(self.bob)

        page = self.client.get(project.get_absolute_url())
        edit = self.client.get(reverse("generations:project_edit", args=[project.pk]))
        archive = self.client.post(reverse("generations:project_archive", args=[project.pk]))

        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, "Edit project")
        self.assertEqual((edit.status_code, archive.status_code), (404, 404))
        project.refresh_from_db()
        self.assertIsNone(project.archived_at)

    def test_an_admin_changes_any_project_and_limits_it_to_named_people(self):
        admin = make_user("boss", is_staff=True)
        project = project_of(self.alice)
        self.client.force_login(admin)

        self.client.post(
            reverse("generations:project_edit", args=[project.pk]),
            {"name": project.name, "colour": "blue", "limited": "on", "members": [self.bob.pk]},
        )

        project.refresh_from_db()
        self.assertTrue(project.limited)
        self.assertEqual(list(project.members.all()), [self.bob])

    def test_its_maker_is_offered_no_choice_of_people(self):
        project = project_of(self.alice)

        page = self.client.get(reverse("generations:project_edit", args=[project.pk]))
        self.client.post(
            reverse("generations:project_edit", args=[project.pk]),
            {"name": project.name, "colour": "blue", "limited": "on", "members": [self.bob.pk]},
        )

        self.assertNotContains(page, "Who sees its videos")
        project.refresh_from_db()
        self.assertFalse(project.limited)

    def test_archiving_keeps_its_videos_and_takes_it_off_the_new_video_form(self):
        project = project_of(self.alice)
        video = make_generation(self.alice, project=project)

        self.client.post(reverse("generations:project_archive", args=[project.pk]))

        project.refresh_from_db()
        self.assertTrue(project.is_archived)
        video.refresh_from_db()
        self.assertEqual(video.project, project)
        form = self.client.get(reverse("generations:create"))
        self.assertNotContains(form, 'name="project"')
        listing = self.client.get(reverse("generations:projects"))
        self.assertContains(listing, "Archived (1)")

        self.client.post(reverse("generations:project_restore", args=[project.pk]))

        project.refresh_from_db()
        self.assertFalse(project.is_archived)
        form = self.client.get(reverse("generations:create"))
        self.assertContains(form, ">Spring perfume</option>")


class NewVideoInAProjectTests(StudioTestCase):
    def test_a_video_made_into_a_project_is_in_it(self):
        project = project_of(self.alice)

        self.client.post(reverse("generations:create"), valid_data(project=str(project.pk)))

        self.assertEqual(Generation.objects.get().project, project)

    def test_the_form_starts_in_the_project_of_the_last_video(self):
        project = project_of(self.alice)
        self.client.post(reverse("generations:create"), valid_data(project=str(project.pk)))

        form = self.client.get(reverse("generations:create")).context["form"]

        self.assertEqual(form.initial["project"], project.pk)

    def test_make_another_like_this_keeps_the_project(self):
        project = project_of(self.alice)
        source = make_ready_generation(self.alice, project=project)
        make_generation(self.alice)  # a later video in no project

        form = self.client.get(reverse("generations:make_another", args=[source.pk])).context[
            "form"
        ]

        self.assertEqual(form.initial["project"], project.pk)

    def test_a_project_the_person_may_not_use_is_refused_and_nothing_starts(self):
        admin = make_user("boss", is_staff=True)
        limited = project_of(admin, "Board only")
        limited.set_people(True, [])

        response = self.client.post(
            reverse("generations:create"), valid_data(project=str(limited.pk))
        )

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "That project is no longer open. Please pick another.")
        self.assertFalse(Generation.objects.exists())


class MovingVideosTests(StudioTestCase):
    def test_the_owner_moves_a_video_from_its_page_into_a_project_and_out(self):
        project = project_of(self.alice)
        video = make_ready_generation(self.alice)

        page = self.client.get(video.get_absolute_url())
        self.assertContains(page, 'id="move-button"')
        self.client.post(reverse("generations:move", args=[video.pk]), {"project": project.pk})

        video.refresh_from_db()
        self.assertEqual(video.project, project)
        self.assertEqual(video.events.filter(kind=EventKind.MOVED).count(), 1)

        self.client.post(reverse("generations:move", args=[video.pk]), {"project": ""})

        video.refresh_from_db()
        self.assertIsNone(video.project)

    def test_a_selection_moves_together_and_others_videos_stay(self):
        project = project_of(self.alice)
        mine = [make_generation(self.alice), make_generation(self.alice)]
        theirs = make_generation(self.bob, shared_at=timezone.now())

        response = self.client.post(
            reverse("generations:selection"),
            {
                "action": "move",
                "project": project.pk,
                "ids": [str(v.pk) for v in [*mine, theirs]],
            },
            follow=True,
        )

        self.assertContains(response, "Moved 2 videos into “Spring perfume”.")
        self.assertContains(response, "1 made by someone else stayed where they were.")
        self.assertEqual(set(project.videos.all()), set(mine))
        theirs.refresh_from_db()
        self.assertIsNone(theirs.project)

    def test_a_teammate_cannot_move_someone_elses_video(self):
        project = project_of(self.alice)
        theirs = make_generation(self.bob, shared_at=timezone.now())

        response = self.client.post(
            reverse("generations:move", args=[theirs.pk]), {"project": project.pk}
        )

        self.assertEqual(response.status_code, 404)
        theirs.refresh_from_db()
        self.assertIsNone(theirs.project)

    def test_each_card_shows_its_project(self):
        project = project_of(self.alice, colour="green")
        make_ready_generation(self.alice, project=project)

        page = self.client.get(reverse("generations:index"))

        self.assertContains(page, 'class="project-label colour-green"')
        self.assertContains(page, ">Spring perfume</a>")

    def test_a_rename_shows_on_the_cards_at_once(self):
        project = project_of(self.alice)
        make_ready_generation(self.alice, project=project)
        self.client.get(reverse("generations:index"))  # drawn and kept

        project.name = "Autumn perfume"
        project.save()

        self.assertContains(self.client.get(reverse("generations:index")), "Autumn perfume")


class ProjectPageTests(StudioTestCase):
    def test_it_shows_the_projects_videos_with_who_made_each(self):
        project = project_of(self.alice)
        make_ready_generation(self.alice, prompt="Alice's bottle on marble", project=project)
        make_ready_generation(self.bob, prompt="Bob's bottle in the rain", project=project)
        make_ready_generation(self.alice, prompt="Not in the project", shared_at=timezone.now())

        page = self.client.get(project.get_absolute_url())

        self.assertContains(page, "Alice&#x27;s bottle on marble")
        self.assertContains(page, "Bob&#x27;s bottle in the rain")
        self.assertContains(page, 'By <span class="maker">bob</span>')
        self.assertNotContains(page, "Not in the project")

    def test_its_search_and_person_filter_work_within_the_project(self):
        project = project_of(self.alice)
        make_ready_generation(self.alice, prompt="Bottle on marble", project=project)
        make_ready_generation(self.bob, prompt="Bottle in rain", project=project)

        page = self.client.get(project.get_absolute_url(), {"q": "rain"})
        by_alice = self.client.get(project.get_absolute_url(), {"person": self.alice.pk})

        self.assertContains(page, "Bottle in rain")
        self.assertNotContains(page, "Bottle on marble")
        self.assertContains(by_alice, "Bottle on marble")
        self.assertNotContains(by_alice, "Bottle in rain")

    def test_its_spend_this_month_and_in_all_is_exact(self):
        project = project_of(self.alice)
        with time_machine.travel(datetime(2026, 11, 10, 12, tzinfo=UTC)):
            charged(self.alice, project=project)
        with time_machine.travel(datetime(2026, 12, 3, 12, tzinfo=UTC)):
            charged(self.bob, project=project)
            held(self.alice, project=project)
            charged(self.alice)  # in no project
            spend = ledger.spend_of(project.videos.values("pk"))
            page = self.client.get(project.get_absolute_url())

        self.assertEqual(
            (spend.month_spent, spend.month_held, spend.spent, spend.held),
            (Decimal("0.64"), Decimal("0.64"), Decimal("1.28"), Decimal("0.64")),
        )
        self.assertContains(page, "This month: <strong>$1.28</strong>")
        self.assertContains(page, "In all: <strong>$1.92</strong>")

    def test_the_projects_list_counts_videos_last_activity_and_spend(self):
        project = project_of(self.alice)
        with time_machine.travel(datetime(2026, 12, 3, 12, tzinfo=UTC)):
            charged(self.alice, project=project)
            held(self.bob, project=project)
            listing = self.client.get(reverse("generations:projects"))

        self.assertContains(listing, "2 videos")
        self.assertContains(listing, "Last video 3 Dec 2026")
        self.assertContains(listing, "$1.28 this month · $1.28 in all")

    def test_a_limited_project_is_not_listed_for_someone_not_among_its_people(self):
        admin = make_user("boss", is_staff=True)
        limited = project_of(admin, "Board only")
        limited.set_people(True, [self.bob])

        listing = self.client.get(reverse("generations:projects"))
        page = self.client.get(limited.get_absolute_url())

        self.assertNotContains(listing, "Board only")
        self.assertEqual(page.status_code, 404)


class ProjectFilterTests(StudioTestCase):
    def test_the_gallery_filters_by_project_and_by_no_project(self):
        project = project_of(self.alice)
        make_ready_generation(self.alice, prompt="In the project", project=project)
        make_ready_generation(self.alice, prompt="A loose draft")

        inside = self.client.get(reverse("generations:index"), {"project": project.pk})
        outside = self.client.get(reverse("generations:index"), {"project": "none"})
        counts = self.client.get(reverse("generations:index"), {"counts": "1"})

        self.assertContains(inside, "In the project")
        self.assertNotContains(inside, "A loose draft")
        self.assertContains(outside, "A loose draft")
        self.assertNotContains(outside, "In the project")
        self.assertContains(counts, "Spring perfume (1)")
        self.assertContains(counts, "No project (1)")

    def test_the_team_view_filters_by_project_and_lists_the_projects_videos(self):
        project = project_of(self.bob)
        make_ready_generation(self.bob, prompt="Bob's project take", project=project)
        make_ready_generation(self.bob, prompt="Bob's shared take", shared_at=timezone.now())
        make_ready_generation(self.bob, prompt="Bob's private draft")

        everything = self.client.get(reverse("generations:team"))
        inside = self.client.get(reverse("generations:team"), {"project": project.pk})

        self.assertContains(everything, "Bob&#x27;s project take")
        self.assertContains(everything, "Bob&#x27;s shared take")
        self.assertNotContains(everything, "Bob&#x27;s private draft")
        self.assertContains(inside, "Bob&#x27;s project take")
        self.assertNotContains(inside, "Bob&#x27;s shared take")

    def test_a_project_number_nobody_may_see_finds_nothing(self):
        admin = make_user("boss", is_staff=True)
        limited = project_of(admin, "Board only")
        limited.set_people(True, [])
        make_ready_generation(admin, prompt="Board secret", project=limited)

        response = self.client.get(reverse("generations:team"), {"project": limited.pk})

        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "Board secret")
        self.assertNotContains(response, "Board only")


class MigrationTests(TransactionTestCase):
    """Upgrading puts every existing video in no project, its sharing as it was."""

    def test_existing_videos_land_in_no_project_with_their_sharing_unchanged(self):
        executor = MigrationExecutor(connection)
        before = [("generations", "0013_remakes_index")]
        executor.migrate(before)
        old_apps = executor.loader.project_state(before).apps
        owner = old_apps.get_model("auth", "User").objects.create(username="old-timer")
        old = old_apps.get_model("generations", "Generation")
        shared_at = timezone.now()
        private = old.objects.create(owner_id=owner.pk, prompt="Private draft")
        shared = old.objects.create(owner_id=owner.pk, prompt="Shared take", shared_at=shared_at)

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

        rows = dict(
            Generation.objects.filter(pk__in=[private.pk, shared.pk]).values_list(
                "pk", "project_id"
            )
        )
        self.assertEqual(rows, {private.pk: None, shared.pk: None})
        self.assertEqual(Generation.objects.get(pk=shared.pk).shared_at, shared_at)
        self.assertIsNone(Generation.objects.get(pk=private.pk).shared_at)
