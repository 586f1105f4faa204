"""A downloader that only fetches videos: the attacks once tried on it, and what
the client does with them now. Real HTTP on loopback throughout; name lookups that would
leave the machine are replaced by a resolver that answers from a table."""

import ssl
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.test import override_settings
from django.utils import timezone

from generations import worker
from generations.models import Generation, Status
from lib import cometapi
from lib.cometapi import CometAPIClient, CometAPIError, DownloadLimits, _PinnedAdapter

from .factories_media import make_mp4
from .helpers import drive, make_generation, make_user

MP4 = make_mp4(64, 36, 0.5)


class LoopbackService:
    """A small HTTP server with a few behaviours, to stand for whatever a link points at."""

    def __init__(self, *, dribble_every: float = 0.2, body: bytes = MP4):
        self.hits: list[str] = []
        self.redirects: dict[str, str] = {}
        self.dribble_every = dribble_every
        self.body = body
        self.stop = threading.Event()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                service.hits.append(self.path)
                if self.path in service.redirects:
                    self.send_response(302)
                    self.send_header("Location", service.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/error-forever":
                    self.send_response(500)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    try:
                        while not service.stop.wait(service.dribble_every):
                            self.wfile.write(b"<p>")
                            self.wfile.flush()
                    except OSError:
                        pass
                    return
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                if self.path.startswith("/dribble") or self.path.endswith("/content"):
                    self.send_header("Content-Length", str(10 * 1024 * 1024))
                    self.end_headers()
                    try:
                        while not service.stop.wait(service.dribble_every):
                            self.wfile.write(b"\0")
                            self.wfile.flush()
                    except OSError:
                        pass
                    return
                if self.path.startswith("/steady"):
                    # Fast enough for any rate floor, but it never ends.
                    self.end_headers()
                    try:
                        while not service.stop.wait(0.01):
                            self.wfile.write(b"\0" * 8192)
                    except OSError:
                        pass
                    return
                self.send_header("Content-Length", str(len(service.body)))
                self.end_headers()
                self.wfile.write(service.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal():
    """A service on this machine that is not CometAPI: what a hostile link aims at."""
    service = LoopbackService()
    yield service
    service.close()


@pytest.fixture
def hostile_base():
    """A 'CometAPI' that dribbles its video, for the time and rate limits."""
    service = LoopbackService()
    yield service
    service.close()


def table(mapping):
    def resolve(host, port):
        return mapping[host]

    return resolve


def download(client: CometAPIClient, url: str, **limits) -> bytes:
    return b"".join(client.stream_video(url, with_key=True, limits=DownloadLimits(**limits)))


def refusal(client: CometAPIClient, url: str, **limits) -> CometAPIError:
    with pytest.raises(CometAPIError) as caught:
        download(client, url, **limits)
    return caught.value


# --- where a download may go -------------------------------------------------------------


def test_the_issue_s_redirect_to_a_loopback_service_is_refused(simulator, internal):
    simulator.fail_next("video_url", 302, headers={"Location": f"{internal.url}/admin.mp4"})
    client = CometAPIClient(simulator.base_url, "test-key")

    error = refusal(client, f"{simulator.base_url}/files/anything.mp4")

    assert error.kind == "blocked" and not error.retryable
    assert "not https" in error.message
    assert internal.hits == []


def test_the_same_attack_through_the_worker_stores_the_real_video(simulator, internal, db):
    internal.body = b"\0\0\0\x18ftypmp42" + b"internal secrets" * 100
    simulator.fail_next("video_url", 302, headers={"Location": f"{internal.url}/secret.mp4"})
    generation = make_generation(make_user("alice"))

    generation = drive(generation)

    assert generation.status == Status.READY
    assert internal.hits == []
    with generation.video.open("rb") as handle:
        assert b"internal secrets" not in handle.read()
    assert any(r[1].endswith("/content") and r[2] == 200 for r in simulator.requests)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::5",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_an_https_host_that_resolves_inside_is_refused_before_connecting(address):
    client = CometAPIClient("https://api.cometapi.test", "key")

    error = refusal(
        client, "https://cdn.example.test/v.mp4", resolve=table({"cdn.example.test": [address]})
    )

    assert error.kind == "blocked"
    assert "internal address" in error.message


def test_one_inside_address_among_public_ones_is_enough_to_refuse():
    client = CometAPIClient("https://api.cometapi.test", "key")
    resolve = table({"cdn.example.test": ["93.184.216.34", "10.0.0.7"]})

    assert refusal(client, "https://cdn.example.test/v.mp4", resolve=resolve).kind == "blocked"


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://cdn.example.test/v.mp4", "not https"),
        ("ftp://cdn.example.test/v.mp4", "not https"),
        ("file:///etc/passwd", "not https"),
        ("https://user:pass@cdn.example.test/v.mp4", "credentials"),
        ("https:///v.mp4", "no usable host"),
    ],
)
def test_links_outside_the_policy_are_refused_without_a_lookup(url, words):
    def resolve(host, port):
        raise AssertionError("looked up")

    error = refusal(CometAPIClient("https://api.cometapi.test", "key"), url, resolve=resolve)

    assert error.kind == "blocked"
    assert words in error.message


def test_credentials_are_refused_even_on_the_configured_base(simulator):
    base = simulator.base_url.replace("http://", "http://u:p@")
    error = refusal(CometAPIClient(simulator.base_url, "k"), f"{base}/v1/videos/x/content")
    assert "credentials" in error.message


def test_at_most_three_redirects_are_followed(internal):
    for hop in range(5):
        internal.redirects[f"/r{hop}"] = f"/r{hop + 1}"
    client = CometAPIClient(internal.url, "key")  # the base itself may redirect, a few times

    error = refusal(client, f"{internal.url}/r0")

    assert error.kind == "blocked" and "more than 3" in error.message
    assert internal.hits == ["/r0", "/r1", "/r2", "/r3"]


def test_a_redirect_within_the_base_is_followed(internal):
    internal.redirects["/moved"] = "/video.mp4"
    assert download(CometAPIClient(internal.url, "key"), f"{internal.url}/moved") == MP4


def test_the_checked_address_is_the_one_connected_to_and_tls_checks_the_name():
    adapter = _PinnedAdapter("93.184.216.34")
    request = requests.Request("GET", "https://cdn.example.test/v.mp4").prepare()

    host_params, pool_kwargs = adapter.build_connection_pool_key_attributes(request, True)

    assert host_params["host"] == "93.184.216.34"
    assert pool_kwargs["server_hostname"] == "cdn.example.test"
    assert pool_kwargs["assert_hostname"] == "cdn.example.test"


# --- how long a download may take ----------------------------------------------------------


def test_a_body_dribbled_a_byte_at_a_time_is_dropped_after_the_grace_period(hostile_base):
    client = CometAPIClient(hostile_base.url, "key")
    started = time.monotonic()

    error = refusal(
        client, f"{hostile_base.url}/dribble", rate_grace_seconds=1.0, min_bytes_per_second=1024
    )

    assert error.kind == "too_slow" and error.retryable
    assert time.monotonic() - started < 5  # at 5 bytes/s the body would take 24 days


def test_a_download_that_never_ends_stops_at_the_wall_clock_limit(hostile_base):
    client = CometAPIClient(hostile_base.url, "key")
    started = time.monotonic()

    error = refusal(client, f"{hostile_base.url}/steady", max_seconds=1.0)

    assert error.kind == "timeout"
    assert 1.0 <= time.monotonic() - started < 5


def test_the_job_s_deadline_stops_a_download(hostile_base):
    client = CometAPIClient(hostile_base.url, "key")

    error = refusal(client, f"{hostile_base.url}/steady", deadline=time.time() + 0.5)

    assert error.kind == "deadline" and not error.retryable


def test_a_deadline_already_past_sends_no_request(hostile_base):
    client = CometAPIClient(hostile_base.url, "key")

    assert refusal(client, f"{hostile_base.url}/x", deadline=time.time() - 1).kind == "deadline"
    assert hostile_base.hits == []


def test_a_declared_size_beyond_any_video_is_refused_unread(hostile_base):
    error = refusal(
        CometAPIClient(hostile_base.url, "k"), f"{hostile_base.url}/dribble", max_bytes=1000
    )
    assert error.kind == "not_video"


@override_settings(COMETAPI_DOWNLOAD_MAX_SECONDS=1.0)
def test_a_hostile_download_holds_the_worker_for_its_limit_only(hostile_base, simulator, db):
    """The only worker thread gets a dribbling download, then a second job comes."""
    alice = make_user("alice")
    stuck = make_generation(alice, task_id="task_slow")
    stuck.mark_rendered(f"{hostile_base.url}/dribble")
    stuck.save()
    other = make_generation(alice, prompt="A second video waits behind the first.")

    with override_settings(COMETAPI_BASE_URL=hostile_base.url):
        started = time.monotonic()
        worker.advance(stuck.pk)  # video_url, then the content endpoint: both dribble
        held = time.monotonic() - started

    stuck.refresh_from_db()
    assert stuck.status == Status.SAVING  # kept, to be tried again later, not lost
    assert stuck.next_action_at > timezone.now()
    assert held < 6  # two sources of 1 s each, not the 24 days the bodies would take
    assert drive(other).status == Status.READY
    assert Generation.objects.get(pk=other.pk).video


def test_an_error_page_sent_for_ever_is_read_only_as_far_as_it_has_arrived(hostile_base):
    client = CometAPIClient(hostile_base.url, "key")
    started = time.monotonic()

    error = refusal(client, f"{hostile_base.url}/error-forever")

    assert error.kind == "server" and error.status == 500
    assert time.monotonic() - started < 5


def test_the_job_s_deadline_is_honoured_while_saving(hostile_base, db, caplog):
    stuck = make_generation(make_user("alice"), task_id="task_late")
    stuck.mark_rendered(f"{hostile_base.url}/steady")  # fast enough, and endless
    stuck.deadline = timezone.now() + timedelta(seconds=1)
    stuck.save()

    with override_settings(COMETAPI_BASE_URL=hostile_base.url):
        started = time.monotonic()
        worker.advance(stuck.pk)
        held = time.monotonic() - started

    assert held < 4  # the 10-minute download limit was never reached
    assert "deadline passed during the download" in caplog.text
    stuck.refresh_from_db()
    assert stuck.status == Status.SAVING  # the video is paid for: "Check again" can fetch it


# --- the connection goes where the check looked --------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
CERT = str(FIXTURES / "cdn.example.test.crt")  # self-signed for cdn.example.test, 100 years


@pytest.fixture
def tls_cdn():
    """An https server for cdn.example.test, listening on loopback."""
    seen_hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen_hosts.append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(MP4)))
            self.end_headers()
            self.wfile.write(MP4)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, str(FIXTURES / "cdn.example.test.key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen_hosts
    server.shutdown()
    server.server_close()


def test_a_public_host_is_fetched_from_the_address_that_was_checked(tls_cdn, monkeypatch):
    port, seen_hosts = tls_cdn
    checked = []

    def pinned(address):
        # The check approved a public address; the test server stands in for it on loopback.
        checked.append(address)
        session = real_pinned("127.0.0.1")
        session.verify = CERT
        return session

    real_pinned = cometapi._pinned_session
    monkeypatch.setattr(cometapi, "_pinned_session", pinned)
    client = CometAPIClient("https://api.cometapi.test", "key")

    body = download(
        client,
        f"https://cdn.example.test:{port}/v.mp4",
        resolve=table({"cdn.example.test": ["93.184.216.34"]}),
    )

    assert body == MP4
    assert checked == ["93.184.216.34"]
    assert seen_hosts == [f"cdn.example.test:{port}"]


def test_tls_still_checks_the_host_name_on_a_pinned_connection(tls_cdn):
    port, _ = tls_cdn
    session = cometapi._pinned_session("127.0.0.1")
    session.verify = CERT

    assert session.get(f"https://cdn.example.test:{port}/", timeout=5).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"https://other.example.test:{port}/", timeout=5)
