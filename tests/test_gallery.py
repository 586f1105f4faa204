"""The gallery: my jobs only, newest first, a page at a time, live cards for running jobs;
finding a video by search, filters with their counts and sort, all in the URL."""

import uuid
from datetime import timedelta
from unittest import mock

from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from generations.gallery import as_cards
from generations.models import Favourite, Generation, Project, Status
from generations.templatetags.gallery_tags import card_key
from tests.helpers import StudioTestCase, make_generation, make_ready_generation
from veo.catalogue import Size

INDEX_URL = reverse("generations:index")
CREATE_URL = reverse("generations:create")


class GalleryTests(StudioTestCase):
    def test_it_shows_only_my_jobs(self):
        mine = make_generation(self.alice, prompt="Alice's lighthouse at dusk")
        make_generation(self.bob, prompt="Bob's secret submarine")

        response = self.client.get(INDEX_URL)

        self.assertContains(response, "lighthouse at dusk")
        self.assertContains(response, f'id="card-{mine.pk}"')
        self.assertNotContains(response, "secret submarine")
        self.assertEqual(response.context["sections"]["ids"], [str(mine.pk)])

    def test_it_lists_25_jobs_newest_first_24_to_a_page(self):
        start = timezone.now() - timedelta(hours=1)
        jobs = [
            make_generation(
                self.alice,
                prompt=f"Shot number {n:02d}",
                created_at=start + timedelta(minutes=n),
            )
            for n in range(25)
        ]

        first = self.client.get(INDEX_URL)
        second = self.client.get(INDEX_URL, {"page": 2})

        newest_first = list(reversed(jobs))
        self.assertEqual(first.context["sections"]["ids"], [str(g.pk) for g in newest_first[:24]])
        self.assertEqual(second.context["sections"]["ids"], [str(g.pk) for g in newest_first[24:]])
        html = first.content.decode()
        self.assertLess(html.index("Shot number 24"), html.index("Shot number 23"))
        self.assertNotIn("Shot number 00", html)
        self.assertContains(first, "Page 1")
        self.assertContains(first, 'href="?page=2"')
        self.assertContains(second, "Shot number 00")
        self.assertNotContains(second, 'href="?page=3"')
        # The number of pages and videos comes with the filters' counts, after the page.
        counts = self.client.get(INDEX_URL, {"page": 2, "counts": 1})
        self.assertContains(counts, " of 2</span>")
        self.assertContains(counts, "25 videos")

    def test_it_shows_the_last_page_for_a_page_number_out_of_range(self):
        make_generation(self.alice, prompt="Only shot")

        response = self.client.get(INDEX_URL, {"page": "99"})

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Only shot")

    def test_it_invites_a_first_video_when_empty(self):
        response = self.client.get(INDEX_URL)

        self.assertContains(response, "No videos yet")
        self.assertContains(response, f'href="{CREATE_URL}"')

    def test_it_polls_active_cards_and_not_ended_ones(self):
        active = make_generation(self.alice, prompt="Still rendering")
        ready = make_ready_generation(self.alice, prompt="All done")

        html = self.client.get(INDEX_URL).content.decode()

        card = html[html.index(f'id="card-{active.pk}"') :]
        self.assertIn('data-poll="', card[: card.index(">")])
        card = html[html.index(f'id="card-{ready.pk}"') :]
        self.assertNotIn("data-poll=", card[: card.index(">")])
        self.assertIn(reverse("generations:poster", args=[ready.pk]), html)


def shown(response) -> list[Generation]:
    ids = response.context["sections"]["ids"]
    by_id = {str(pk): job for pk, job in Generation.objects.in_bulk(ids).items()}
    return [by_id[pk] for pk in ids]


class SearchTests(StudioTestCase):
    def test_words_match_in_any_order_ignoring_case_and_accents(self):
        cafe = make_generation(self.alice, prompt="Rain on the window of a Café in Paris")
        make_generation(self.alice, prompt="A paper kite over a field")

        for query in ("cafe", "CAFÉ", "paris rain", "  café   WINDOW "):
            with self.subTest(query):
                self.assertEqual(shown(self.client.get(INDEX_URL, {"q": query})), [cafe])

    def test_a_search_with_no_match_says_so_and_offers_everything(self):
        make_generation(self.alice, prompt="A paper kite")

        response = self.client.get(INDEX_URL, {"q": "submarine"})

        self.assertEqual(shown(response), [])
        self.assertContains(response, "Nothing matches")
        self.assertContains(response, "Show all videos")

    def test_search_never_finds_other_people_s_videos(self):
        make_generation(self.bob, prompt="Bob's café")

        self.assertEqual(shown(self.client.get(INDEX_URL, {"q": "cafe"})), [])


class FilterTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.portrait = make_ready_generation(self.alice, prompt="Tall", size=Size.PORTRAIT_720)
        self.landscape = make_ready_generation(self.alice, prompt="Wide", size=Size.LANDSCAPE_1080)
        Generation.objects.filter(pk=self.landscape.pk).update(seconds=8)
        self.failed = make_generation(self.alice, prompt="Broken")
        self.failed.mark_failed("Veo could not make this video: blocked.", "task:failed:safety")
        self.failed.save()
        self.running = make_generation(self.alice, prompt="Running", model="veo3.1")

    def test_each_filter_narrows_the_list(self):
        cases = {
            "status=ready": {self.portrait, self.landscape},
            "status=failed": {self.failed},
            "status=active": {self.running},
            "orientation=portrait": {self.portrait},
            "size=1920x1080": {self.landscape},
            "seconds=8": {self.landscape},
            "model=veo3.1": {self.running},
            "first_frame=without": {self.portrait, self.landscape, self.failed, self.running},
            "first_frame=with": set(),
            "status=ready&orientation=landscape": {self.landscape},
        }
        for query, expected in cases.items():
            with self.subTest(query):
                self.assertEqual(set(shown(self.client.get(f"{INDEX_URL}?{query}"))), expected)

    def test_each_value_shows_its_count_with_the_other_filters_applied(self):
        page = self.client.get(INDEX_URL, {"status": "ready"})
        # The page asks for its counts once shown (counting walks every row).
        self.assertContains(page, 'hx-get="?status=ready&amp;counts=1" hx-trigger="load"')
        self.assertContains(page, '<option value="ready" selected>Ready</option>')
        response = self.client.get(INDEX_URL, {"status": "ready", "counts": 1})
        self.assertNotContains(response, "<html")

        self.assertContains(response, "Portrait (1)")
        self.assertContains(response, "Landscape (1)")
        # Status counts ignore the status filter itself, so other choices stay visible.
        self.assertContains(response, "Failed (1)")
        self.assertContains(response, "In progress (1)")
        self.assertContains(response, '<option value="ready" selected>Ready (2)</option>')

    def test_every_count_is_the_number_of_videos_its_choice_would_show(self):
        Favourite.objects.create(person=self.alice, generation=self.landscape)
        for applied in ({}, {"status": "ready"}, {"orientation": "landscape", "starred": "true"}):
            counted = {**applied, "counts": 1}
            facets = self.client.get(INDEX_URL, counted).context["counts"].facets
            for facet in facets:
                for value, label, count in facet.options:
                    with self.subTest(applied=applied, facet=facet.name, value=value):
                        params = {**applied, facet.name: value}
                        shown_there = self.client.get(INDEX_URL, params)
                        self.assertEqual(len(shown_there.context["sections"]["ids"]), count, label)

    def test_a_filtered_view_is_a_link_a_teammate_can_open(self):
        response = self.client.get(INDEX_URL, {"orientation": "portrait", "sort": "oldest"})

        self.assertContains(response, '<option value="portrait" selected>')
        self.assertContains(response, '<option value="oldest" selected>')
        # The card remembers the list, so the video page can step through it.
        self.assertContains(response, "?list=orientation%3Dportrait%26sort%3Doldest")

    def test_favourites_only(self):
        Favourite.objects.create(person=self.alice, generation=self.portrait)
        Favourite.objects.create(person=self.bob, generation=self.landscape)  # not hers

        response = self.client.get(INDEX_URL, {"starred": "true"})

        self.assertEqual(shown(response), [self.portrait])
        counts = self.client.get(INDEX_URL, {"starred": "true", "counts": 1})
        self.assertContains(counts, "Favourites (1)")

    def test_dates_today_last_days_and_a_range(self):
        old = make_generation(
            self.alice, prompt="Old", created_at=timezone.now() - timedelta(days=20)
        )
        older = make_generation(
            self.alice, prompt="Older", created_at=timezone.now() - timedelta(days=45)
        )
        recent = {self.portrait, self.landscape, self.failed, self.running}

        self.assertEqual(set(shown(self.client.get(INDEX_URL, {"when": "today"}))), recent)
        self.assertEqual(set(shown(self.client.get(INDEX_URL, {"when": "7d"}))), recent)
        self.assertEqual(set(shown(self.client.get(INDEX_URL, {"when": "30d"}))), recent | {old})
        day = (timezone.localdate() - timedelta(days=45)).isoformat()
        ranged = self.client.get(INDEX_URL, {"after": day, "before": day})
        self.assertEqual(shown(ranged), [older])

    def test_a_nonsense_filter_value_is_a_friendly_message_not_an_error(self):
        response = self.client.get(INDEX_URL, {"status": "bogus", "after": "yesterday"})

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Some filters were not understood")

    def test_sort_oldest_first(self):
        response = self.client.get(INDEX_URL, {"sort": "oldest"})

        self.assertEqual(
            shown(response), [self.portrait, self.landscape, self.failed, self.running]
        )

    def test_a_failed_card_says_why_in_a_few_words(self):
        html = self.client.get(INDEX_URL).content.decode()

        card = html[html.index(f'id="card-{self.failed.pk}"') :]
        self.assertIn("Blocked by a safety filter", card[: card.index("</li>")])

    def test_a_ready_card_has_a_preview_that_loads_nothing_until_hovered(self):
        html = self.client.get(INDEX_URL).content.decode()

        card = html[html.index(f'id="card-{self.portrait.pk}"') :]
        card = card[: card.index("</li>")]
        self.assertIn('preload="none"', card)
        self.assertIn(f'data-src="{reverse("generations:video", args=[self.portrait.pk])}"', card)
        self.assertNotIn(' src="/videos', card.split("<video")[1].split(">")[0])
        self.assertIn("play-badge", card)
        self.assertIn("720p-portrait", card)


class PagesTests(StudioTestCase):
    def test_load_more_is_a_real_link_and_an_htmx_fragment(self):
        start = timezone.now() - timedelta(hours=1)
        for n in range(30):
            make_generation(
                self.alice, prompt=f"Shot {n:02d}", created_at=start + timedelta(minutes=n)
            )

        first = self.client.get(INDEX_URL, {"q": "shot"})
        self.assertContains(first, 'href="?q=shot&amp;page=2"')
        self.assertContains(first, 'hx-get="?q=shot&amp;page=2"')

        more = self.client.get(INDEX_URL, {"q": "shot", "page": 2}, HTTP_HX_REQUEST="true")

        html = more.content.decode()
        self.assertNotIn("<html", html)
        self.assertEqual(html.count('class="tile '), 6)
        self.assertIn("Shot 00", html)
        self.assertNotIn("Load more", html)


class QueryCountTests(StudioTestCase):
    """The number of queries does not grow with the gallery, searched and filtered too."""

    def fill(self, count: int) -> None:
        sizes = [Size.LANDSCAPE_720, Size.PORTRAIT_720, Size.LANDSCAPE_1080]
        rows = []
        for n in range(count):
            job = Generation(
                owner=self.alice,
                prompt=f"Café scene {n}",
                size=sizes[n % 3],
                seconds=8 if n % 3 == 2 else 4,
                status=Status.READY if n % 2 else Status.FAILED,
                error_code="" if n % 2 else "task:failed:x",
            )
            job.search_text = "cafe scene"
            rows.append(job)
        Generation.objects.bulk_create(rows)
        for job in Generation.objects.filter(owner=self.alice)[: count // 3]:
            Favourite.objects.create(person=self.alice, generation=job)

    def queries_for(self, params: dict) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(INDEX_URL, params)
        self.assertEqual(response.status_code, 200)
        return len(queries)

    def test_the_same_queries_at_10_and_at_60_generations(self):
        for params in (
            {},
            {"q": "cafe", "status": "ready", "orientation": "landscape", "starred": "true"},
            {"q": "scene cafe", "seconds": "4", "when": "7d", "sort": "oldest", "page": "2"},
        ):
            with self.subTest(params):
                self.fill(40)  # page 2 holds cards at both sizes
                small = self.queries_for(params)
                self.fill(60)
                large = self.queries_for(params)
                self.assertEqual(small, large)
                Generation.objects.all().delete()

    def test_cards_in_projects_read_their_projects_with_the_rows(self):
        # Each card shows its project's label (name, colour, link): read with the page's
        # rows (gallery.as_cards), never one query per card, on a first (cold) draw. The
        # same 24 cards (finished and running) in no project, then each in its own.
        urls = (INDEX_URL, reverse("generations:team"))
        jobs = [
            make_ready_generation(self.alice, prompt=f"Shot {n}", shared_at=timezone.now())
            if n % 2
            else make_generation(self.alice, prompt=f"Shot {n}", shared_at=timezone.now())
            for n in range(24)
        ]

        def cold_queries(url: str, labels: int) -> int:
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                response = self.client.get(url)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, 'class="project-label', count=labels)
            self.assertContains(response, 'class="tile ', count=24)
            return len(queries)

        in_none = [cold_queries(url, 0) for url in urls]
        for n, job in enumerate(jobs):
            job.project = Project.objects.create(name=f"Project {n}", created_by=self.alice)
            job.save(update_fields=["project"])

        self.assertEqual([cold_queries(url, 24) for url in urls], in_none)


class GalleryCountsStayTrueTests(StudioTestCase):
    """The counts are kept between page loads; whatever changes them shows at once."""

    def ready_count(self) -> str:
        facets = self.client.get(INDEX_URL, {"counts": 1}).context["counts"].facets
        ready = next(f for f in facets if f.name == "status")
        starred = next(f for f in facets if f.name == "starred")
        return f"ready {ready.options[0][2]}, starred {starred.options[0][2]}"

    def test_a_second_load_reads_them_from_the_cache(self):
        make_ready_generation(self.alice)
        self.ready_count()

        with CaptureQueriesContext(connection) as queries:
            self.ready_count()

        self.assertFalse([q for q in queries if "has_frame" in q["sql"]])
        self.assertFalse([q for q in queries if "n_comments" in q["sql"]], "cards read again")

    def test_another_page_of_the_same_gallery_reuses_the_counts(self):
        for _ in range(25):
            make_generation(self.alice)
        self.client.get(INDEX_URL)

        with CaptureQueriesContext(connection) as queries:
            self.client.get(INDEX_URL, {"page": "2"})

        self.assertFalse([q for q in queries if "has_frame" in q["sql"]])
        self.assertTrue([q for q in queries if "n_comments" in q["sql"]], "page 2 is drawn")

    def test_a_new_video_a_finished_one_and_the_trash_change_them(self):
        first = make_ready_generation(self.alice)
        self.assertEqual(self.ready_count(), "ready 1, starred 0")

        make_ready_generation(self.alice)
        self.assertEqual(self.ready_count(), "ready 2, starred 0")

        running = make_generation(self.alice)
        running.mark_submitted("task_9")
        running.save()
        self.assertEqual(self.ready_count(), "ready 2, starred 0")

        first.trash_for(self.alice)
        self.assertEqual(self.ready_count(), "ready 1, starred 0")

        first.restore_for(self.alice)
        self.assertEqual(self.ready_count(), "ready 2, starred 0")

    def test_a_star_and_its_removal_change_them(self):
        job = make_ready_generation(self.alice)
        self.assertEqual(self.ready_count(), "ready 1, starred 0")

        job.set_star_for(self.alice, True)
        self.assertEqual(self.ready_count(), "ready 1, starred 1")

        job.set_star_for(self.alice, False)
        self.assertEqual(self.ready_count(), "ready 1, starred 0")

    def test_someone_else_s_changes_do_not_reach_my_counts_but_sharing_reaches_the_team(self):
        mine = make_ready_generation(self.alice)
        team_url = reverse("generations:team")

        def team_total() -> int:
            return self.client.get(team_url, {"counts": 1}).context["counts"].total

        self.assertEqual(team_total(), 0)
        mine.share_for(self.alice)
        self.assertEqual(team_total(), 1)
        bobs = make_ready_generation(self.bob)
        bobs.share_for(self.bob)
        self.assertEqual(team_total(), 2)
        bobs.unshare_for(self.bob)
        self.assertEqual(team_total(), 1)
        self.assertEqual(self.ready_count(), "ready 1, starred 0")


class CardsStayTrueTests(StudioTestCase):
    """A finished card comes from the cache; whatever it shows still shows at once."""

    def card(self, job, as_person=None) -> str:
        if as_person is not None:
            self.client.force_login(as_person)
        html = self.client.get(reverse("generations:team") if as_person else INDEX_URL).text
        start = html.index(f'id="card-{job.pk}"')
        return html[start : html.index("</li>", start)]

    def test_a_card_holds_no_token_its_buttons_submit_the_page_s_one_form(self):
        job = make_ready_generation(self.alice)
        html = self.client.get(INDEX_URL).text

        self.assertNotIn("csrfmiddlewaretoken", self.card(job))
        self.assertEqual(html.count('<form id="job-actions"'), 1)
        self.assertIn('form="job-actions"', self.card(job))

    def test_the_star_the_comment_count_and_the_status_show_at_once(self):
        job = make_ready_generation(self.alice)
        self.assertIn("☆", self.card(job))

        job.set_star_for(self.alice, True)
        self.assertIn("★", self.card(job))

        job.comments.create(author=self.bob, body="Lovely light")
        self.assertIn("💬 1", self.card(job))

        job.set_star_for(self.alice, False)
        self.assertIn("☆", self.card(job))

        running = make_generation(self.alice)
        self.assertIn('data-status="waiting"', self.card(running))
        running.mark_failed("Veo could not make this video: blocked.", "task:failed")
        running.save()
        self.assertIn('data-status="failed"', self.card(running))
        running.submit_again_for(self.alice)
        self.assertIn('data-status="waiting"', self.card(running))

    def test_each_card_is_the_one_the_card_template_draws_and_kept_under_its_key(self):
        # The gallery draws its cards in one tag (gallery_tags.cards); a poll's card comes
        # from _card.html: the same markup, and the same kept entry for a finished card.
        ready = make_ready_generation(self.alice)
        running = make_generation(self.alice)
        cache.clear()
        html = self.client.get(INDEX_URL, {"sort": "oldest"}).text

        request = RequestFactory().get(INDEX_URL)
        request.user = self.alice
        rows = {row.pk: row for row in as_cards(Generation.objects.all(), self.alice)}
        for job in (ready, running):
            drawn = render_to_string(
                "generations/_card.html",
                {"generation": rows[job.pk], "list_query": "sort=oldest"},
                request,
            )
            self.assertIn(drawn.strip(), html)
        kept = cache.get(card_key(rows[ready.pk], "sort=oldest", self.alice))
        self.assertIn(f'id="card-{ready.pk}"', kept)
        self.assertIn("?list=sort%3Doldest", kept)

    def test_a_card_in_a_project_is_kept_under_the_template_s_key_and_moves_with_it(self):
        project = Project.objects.create(name="Spring perfume", created_by=self.alice)
        job = make_ready_generation(self.alice, project=project)
        cache.clear()
        self.client.get(INDEX_URL)

        row = as_cards(Generation.objects.all(), self.alice).get()
        kept = cache.get(card_key(row, "", self.alice))
        self.assertIn(f'id="card-{job.pk}"', kept)
        self.assertIn("Spring perfume", kept)
        request = RequestFactory().get(INDEX_URL)
        request.user = self.alice
        drawn = render_to_string(
            "generations/_card.html", {"generation": row, "list_query": ""}, request
        )
        self.assertEqual(drawn.strip(), kept.strip())

        project.name = "Summer perfume"
        project.save()
        self.assertContains(self.client.get(INDEX_URL), "Summer perfume")

    def test_a_card_reads_nothing_its_page_did_not_load(self):
        # The cards' rows leave out what no card shows (gallery.NOT_ON_CARDS): reading one
        # of those would cost a query per card.
        ready = make_ready_generation(self.alice)
        ready.share_for(self.alice)
        make_generation(self.alice)  # waiting
        running = make_generation(self.alice)
        running.status, running.progress = Status.RENDERING, 40
        running.save()
        failed = make_generation(self.alice)
        failed.mark_failed("Veo could not make this video: blocked.", "task:failed")
        failed.save()
        make_generation(self.alice, take_group=uuid.uuid4(), take_number=2)
        bobs = make_ready_generation(self.bob)
        bobs.share_for(self.bob)
        cache.clear()
        refused = AssertionError("a card read a column its page left out")
        with mock.patch.object(Generation, "refresh_from_db", side_effect=refused):
            for person, url in ((self.alice, INDEX_URL), (self.bob, reverse("generations:team"))):
                self.client.force_login(person)
                self.assertEqual(self.client.get(url).status_code, 200)
                self.assertEqual(self.client.get(url, {"q": "kite", "page": "1"}).status_code, 200)

    def test_the_owner_sees_the_switch_and_a_teammate_the_maker(self):
        job = make_ready_generation(self.alice)
        job.share_for(self.alice)
        self.assertIn("Unshare", self.card(job))

        as_bob = self.card(job, as_person=self.bob)
        self.assertNotIn("Unshare", as_bob)
        self.assertIn('By <span class="maker">alice</span>', as_bob)

        # A new name has no version: it shows once the kept page sections expire (a minute).
        self.alice.first_name, self.alice.last_name = "Alice", "Liddell"
        self.alice.save()
        cache.clear()
        self.assertIn("Alice Liddell", self.card(job, as_person=self.bob))


class FacetMenusTests(StudioTestCase):
    """The filters' menus, drawn in Python (gallery_tags.facet_menus), are what Django's
    format_html draws: every label and value escaped, the chosen one selected."""

    def test_the_menus_are_format_html_s(self):
        from django.utils.safestring import mark_safe

        from generations.gallery import Facet, GalleryFilter
        from generations.templatetags.gallery_tags import facet_menus

        odd = 'Tom & "Jerry" <b>\'s</b>'
        facets = [
            Facet("project", "Project", [("none", "No project", 3), ("7", odd, 0)]),
            Facet("status", "Status", [("ready", "Ready", None), ("failed", "Failed", 2)]),
            Facet("size", odd, [(odd, mark_safe("<i>safe</i>"), 12)]),
            Facet("starred", "Favourites", [("true", "Favourites", 4)]),
        ]
        for data in ({}, {"status": "ready", "starred": "true", "project": "7"}):
            with self.subTest(data=data):
                request = RequestFactory().get("/", data)
                request.user = self.alice
                form = GalleryFilter(request.GET, Generation.objects.all(), request=request).form
                self.assertEqual(facet_menus(facets, form), _menus_by_format_html(facets, form))
                without_counts = [
                    Facet(f.name, f.label, [(v, label, None) for v, label, _ in f.options])
                    for f in facets
                ]
                self.assertEqual(
                    facet_menus(without_counts, form), _menus_by_format_html(without_counts, form)
                )


def _menus_by_format_html(facets, form) -> str:
    """facet_menus as it was first written, with format_html."""
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe

    from generations.templatetags.gallery_tags import attr_value

    def counted(label, count):
        return (
            format_html("{} ({})", label, count) if count is not None else format_html("{}", label)
        )

    drawn = []
    for facet in facets:
        if facet.name == "starred":
            checked = mark_safe(" checked") if form["starred"].value() else ""
            for _value, label, count in facet.options:
                drawn.append(
                    format_html(
                        '<label class="facet-check"><input type="checkbox" name="starred"'
                        ' value="true"{}> ★ {}</label>',
                        checked,
                        counted(label, count),
                    )
                )
            continue
        chosen = attr_value(form, facet.name)
        options = [format_html('<option value="">{}: any</option>', facet.label)]
        options += [
            format_html(
                '<option value="{}"{}>{}</option>',
                value,
                mark_safe(" selected") if chosen == value else "",
                counted(label, count),
            )
            for value, label, count in facet.options
        ]
        drawn.append(
            format_html(
                '<label class="facet"><span class="visually-hidden">{}</span>\n'
                '<select name="{}" aria-label="{}">\n{}\n</select>\n</label>',
                facet.label,
                facet.name,
                facet.label,
                mark_safe("\n".join(options)),
            )
        )
    return mark_safe("\n".join(drawn))
