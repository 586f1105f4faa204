"""Behind nginx (MEDIA_SERVING=nginx) Django checks access and answers only headers with
X-Accel-Redirect; nginx sends the bytes, with Range and seeking, from an internal location.

Runs Debian's nginx on loopback with its own config in a temp dir, proxying to Django's
live server. `.ci/run` installs nginx when it is missing."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.test import LiveServerTestCase, override_settings
from django.urls import reverse

from .helpers import free_port, make_ready_generation

NGINX_CONF = """
{user}
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    sendfile on;
    server {{
        listen 127.0.0.1:{port};
        # The snippet of the production guide in README.md, with this test's paths.
        location {prefix} {{
            internal;
            alias {media}/;
        }}
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    assert found, "nginx is not installed: apt-get install -y nginx-light (.ci/run does it)"
    return found


class Nginx:
    """nginx in the foreground with a config of our own, stopped at the end."""

    def __init__(self, upstream_port: int, media_root: Path):
        self.tmp = Path(tempfile.mkdtemp(prefix="veostudio-nginx-"))
        self.port = free_port()
        conf = NGINX_CONF.format(
            # As root nginx would drop to "nobody", who cannot read our private temp dirs.
            user="user root;" if os.geteuid() == 0 else "",
            tmp=self.tmp,
            port=self.port,
            prefix=settings.NGINX_MEDIA_PREFIX,
            media=media_root,
            upstream=upstream_port,
        )
        (self.tmp / "nginx.conf").write_text(conf)
        self.process = subprocess.Popen(
            [nginx_binary(), "-p", str(self.tmp), "-c", str(self.tmp / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not listen within 10 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.tmp, ignore_errors=True)


@override_settings(MEDIA_SERVING="nginx")
class VideoThroughNginxTests(LiveServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nginx = Nginx(cls.server_thread.port, Path(settings.MEDIA_ROOT))

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        super().tearDownClass()

    def setUp(self):
        users = get_user_model().objects
        self.alice = users.create_user("alice", password="correct horse battery")
        self.bob = users.create_user("bob", password="correct horse battery")
        self.generation = make_ready_generation(self.alice, seconds=2.0)
        with default_storage.open(self.generation.video.name, "rb") as handle:
            self.data = handle.read()
        self.size = len(self.data)
        self.browser = self.session_for(self.alice)

    def session_for(self, user) -> requests.Session:
        self.client.force_login(user)
        session = requests.Session()
        session.cookies.set("sessionid", self.client.cookies["sessionid"].value)
        return session

    def url(self, name: str) -> str:
        return self.nginx.url + reverse(f"generations:{name}", args=[self.generation.pk])

    def test_the_whole_video_comes_from_nginx_with_our_headers(self):
        answer = self.browser.get(self.url("video"), timeout=10)

        self.assertEqual(answer.status_code, 200)
        self.assertEqual(answer.content, self.data)
        self.assertEqual(answer.headers["Content-Type"], "video/mp4")
        self.assertEqual(answer.headers["Content-Length"], str(self.size))
        self.assertEqual(answer.headers["Accept-Ranges"], "bytes")
        self.assertEqual(answer.headers["Cache-Control"], "private, no-cache")
        self.assertNotIn("X-Accel-Redirect", answer.headers)
        self.assertIn("nginx", answer.headers.get("Server", ""))

    def test_seeking_reads_ranges_anywhere_in_the_file(self):
        middle = self.size // 2
        for header, start, end in [
            ("bytes=0-1", 0, 1),
            (f"bytes={middle}-{middle + 999}", middle, middle + 999),
            ("bytes=-500", self.size - 500, self.size - 1),
            (f"bytes={self.size - 10}-", self.size - 10, self.size - 1),
        ]:
            answer = self.browser.get(self.url("video"), headers={"Range": header}, timeout=10)
            self.assertEqual(answer.status_code, 206, header)
            self.assertEqual(answer.headers["Content-Range"], f"bytes {start}-{end}/{self.size}")
            self.assertEqual(answer.content, self.data[start : end + 1], header)

    def test_a_range_past_the_end_is_416(self):
        answer = self.browser.get(
            self.url("video"), headers={"Range": f"bytes={self.size + 10}-"}, timeout=10
        )
        self.assertEqual(answer.status_code, 416)

    def test_the_download_is_an_attachment_and_the_poster_a_jpeg(self):
        download = self.browser.get(self.url("download"), timeout=10)
        self.assertEqual(download.status_code, 200)
        self.assertIn("attachment", download.headers["Content-Disposition"])
        self.assertEqual(download.content, self.data)

        poster = self.browser.get(self.url("poster"), timeout=10)
        self.assertEqual(poster.status_code, 200)
        self.assertEqual(poster.headers["Content-Type"], "image/jpeg")
        self.assertEqual(poster.content[:2], b"\xff\xd8")

    def test_someone_else_gets_a_404_and_not_one_byte(self):
        stranger = self.session_for(self.bob)

        for name in ("video", "download", "poster"):
            answer = stranger.get(self.url(name), headers={"Range": "bytes=0-99"}, timeout=10)
            self.assertEqual(answer.status_code, 404, name)
            self.assertNotIn(self.data[:100], answer.content)

    def test_a_reload_is_a_304_from_either_side_and_unsharing_makes_it_a_404(self):
        self.generation.share_for(self.alice)
        teammate = self.session_for(self.bob)
        for name in ("video", "poster"):
            first = teammate.get(self.url(name), timeout=10)
            self.assertEqual(first.status_code, 200, name)
            self.assertEqual(first.headers["Cache-Control"], "private, no-cache")
            # nginx's own validators for the file are the ones Django compares.
            validators = {
                "If-None-Match": first.headers["ETag"],
                "If-Modified-Since": first.headers["Last-Modified"],
            }
            again = teammate.get(self.url(name), headers=validators, timeout=10)
            self.assertEqual(again.status_code, 304, name)
            self.assertEqual(again.content, b"")

        self.generation.unshare_for(self.alice)

        for name in ("video", "poster"):
            gone = teammate.get(self.url(name), headers={"If-None-Match": "*"}, timeout=10)
            self.assertEqual(gone.status_code, 404, name)

    def test_the_internal_location_cannot_be_asked_for_directly(self):
        direct = f"{self.nginx.url}{settings.NGINX_MEDIA_PREFIX}{self.generation.video.name}"

        self.assertEqual(self.browser.get(direct, timeout=10).status_code, 404)
        self.assertEqual(requests.get(direct, timeout=10).status_code, 404)

    def test_without_nginx_the_answer_carries_only_the_handoff(self):
        answer = self.browser.get(
            self.live_server_url + reverse("generations:video", args=[self.generation.pk]),
            timeout=10,
        )
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(
            answer.headers["X-Accel-Redirect"],
            settings.NGINX_MEDIA_PREFIX + self.generation.video.name,
        )
        self.assertEqual(answer.content, b"")
