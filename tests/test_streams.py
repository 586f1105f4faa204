"""One person's videos and ZIPs streamed by Django are bounded, so they cannot hold every
thread of a web process (20 slow readers of one ZIP once starved every page)."""

import gc
import threading
import time

import requests
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.test import LiveServerTestCase, override_settings
from django.urls import reverse

from lib import media
from tests.helpers import StudioTestCase, body, make_ready_generation


@override_settings(MEDIA_STREAMS_PER_PERSON=2)
class StreamBoundTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.generation = make_ready_generation(self.alice, seconds=2.0)
        self.video = reverse("generations:video", args=[self.generation.pk])
        self.zip = reverse("generations:zip") + f"?ids={self.generation.pk}"

    def test_past_the_bound_a_person_is_asked_to_let_one_finish(self):
        unread = [self.client.get(self.video), self.client.get(self.zip)]
        self.assertEqual([answer.status_code for answer in unread], [200, 200])
        self.assertEqual(media.open_streams(self.alice.pk), 2)

        for url in (self.video, self.zip):
            refused = self.client.get(url)
            self.assertEqual(refused.status_code, 429)
            self.assertEqual(refused["Retry-After"], str(media.RETRY_AFTER_SECONDS))
            self.assertContains(
                refused, "Please let one of them finish, then try again.", status_code=429
            )
        # Pages and small files are not streams: they still come.
        self.assertEqual(self.client.get(reverse("generations:index")).status_code, 200)
        poster = reverse("generations:poster", args=[self.generation.pk])
        self.assertEqual(self.client.get(poster).status_code, 200)

        body(unread[0])  # read to the end: the server closes it, its place is free
        self.assertEqual(media.open_streams(self.alice.pk), 1)
        self.assertEqual(
            self.client.get(self.video, headers={"Range": "bytes=0-9"}).status_code, 206
        )

    def test_the_bound_is_per_person(self):
        self.generation.share_for(self.alice)
        held = [self.client.get(self.video), self.client.get(self.video)]  # alice's, unread
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.video).status_code, 200)
        self.assertEqual(len(held), 2)

    def test_a_304_takes_no_place(self):
        first = self.client.get(self.video)
        body(first)
        tag = first["ETag"]
        held = [self.client.get(self.video), self.client.get(self.video)]
        again = self.client.get(self.video, headers={"If-None-Match": tag})
        self.assertEqual(again.status_code, 304)
        self.assertEqual(len(held), 2)

    def test_each_answer_read_to_the_end_gives_its_place_back(self):
        for _ in range(5):
            answer = self.client.get(self.video)
            self.assertEqual(answer.status_code, 200)
            body(answer)
        self.assertEqual(media.open_streams(self.alice.pk), 0)

    def test_an_answer_nobody_closed_gives_its_place_back_once_dropped(self):
        answer = self.client.get(self.zip)
        self.assertEqual(media.open_streams(self.alice.pk), 1)
        del answer
        gc.collect()
        self.assertEqual(media.open_streams(self.alice.pk), 0)


@override_settings(MEDIA_STREAMS_PER_PERSON=3)
class SlowZipReadersTests(LiveServerTestCase):
    """Real sockets: readers that never read keep their answer open on the server."""

    def setUp(self):
        self.alice = get_user_model().objects.create_user("alice", password="x" * 12)
        generation = make_ready_generation(self.alice)
        # Large enough that the answer cannot fit in the sockets' buffers and end at once.
        default_storage.delete(generation.video.name)
        with default_storage.open(generation.video.name, "wb") as handle:
            handle.write(b"\0" * (48 * 1024 * 1024))
        self.client.force_login(self.alice)
        self.cookie = self.client.cookies["sessionid"].value
        self.zip = f"{self.live_server_url}{reverse('generations:zip')}?ids={generation.pk}"

    def session(self) -> requests.Session:
        session = requests.Session()
        session.cookies.set("sessionid", self.cookie)
        return session

    def test_twenty_slow_readers_get_three_streams_and_pages_still_answer(self):
        sessions = [self.session() for _ in range(20)]
        answers: list = [None] * 20

        def open_zip(n: int) -> None:
            answers[n] = sessions[n].get(self.zip, stream=True, timeout=20)

        threads = [threading.Thread(target=open_zip, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        statuses = sorted(answer.status_code for answer in answers)
        self.assertEqual(statuses, [200] * 3 + [429] * 17)

        started = time.monotonic()
        page = self.session().get(self.live_server_url + reverse("generations:index"), timeout=10)
        self.assertEqual(page.status_code, 200)
        self.assertLess(time.monotonic() - started, 5)

        for answer, session in zip(answers, sessions, strict=True):
            answer.close()  # the readers go away; the server notices and frees their places
            session.close()
        deadline = time.monotonic() + 15
        while media.open_streams(self.alice.pk) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(media.open_streams(self.alice.pk), 0)
        again = self.session().get(self.zip, stream=True, timeout=10)
        self.assertEqual(again.status_code, 200)
        again.close()
