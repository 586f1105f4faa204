"""What every test file shares.

One style: a test that uses the database, the test client or the cast is a method of a
`TestCase` class (most start from `tests.helpers.StudioTestCase`: Alice logged in, Bob who
must never see her videos), named as a sentence, asserting the exact outcome. Plain pytest
functions are kept where pytest's fixtures are the point: browser tests (`live_server`,
`browser`), the simulator's own tests, pure parsers, and scripts run in a subprocess.
(test_faults, test_downloader, test_recovery and test_isolation's parametrized walk are
older function files with the `db` fixture; they stay so until changed for a reason.)
Fixtures here serve both: a class takes the simulator as `self.sim` with
`@pytest.mark.usefixtures("sim")`, a function asks for `sim` (or `simulator`).
"""

import pytest
from django.test import override_settings

from cometsim import CometSimulator

# The browser fixtures, for every browser test file (flows, accessibility).
from tests.test_browser import browser, release_server_connections, running_worker  # noqa: F401


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (and no kept queue order): ids are reused after a rolled-back test, and a
    cache key made of ids must not find the last test's entry."""
    from django.core.cache import cache

    from generations import slots
    from lib import media

    cache.clear()
    slots.forget_recent_plan()
    media.forget_streams()


@pytest.fixture(scope="session")
def _simulator_server():
    server = CometSimulator(api_key="test-key", render_seconds=0.0).start()
    yield server
    server.stop()


@pytest.fixture
def simulator(_simulator_server):
    """The loopback CometAPI stand-in, fresh for each test, with the app pointed at it."""
    _simulator_server.reset()
    _simulator_server.configure(render_seconds=0.0)
    with override_settings(
        COMETAPI_BASE_URL=_simulator_server.base_url,
        COMETAPI_KEY="test-key",
        COMETAPI_READ_TIMEOUT=2.0,
        COMETAPI_CONNECT_TIMEOUT=2.0,
        COMETAPI_RETRY_BASE_SECONDS=1.0,
        COMETAPI_POLL_INTERVAL=1.0,
    ):
        yield _simulator_server


@pytest.fixture
def sim(request, simulator):
    """The same simulator for a TestCase class, as `self.sim`: mark the class
    `@pytest.mark.usefixtures("sim")`. A test function can ask for `sim` or `simulator`."""
    if request.cls is not None:
        request.cls.sim = simulator
    return simulator


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server mode on loopback: real HTTP, real signatures, nothing leaves the box."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_server, tmp_path):
    """STORAGE_BACKEND=s3 against a fresh bucket, for the length of one test."""
    import uuid

    import boto3

    bucket = f"veostudio-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="test-access",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket=bucket)
    options = {
        "bucket_name": bucket,
        "endpoint_url": s3_server,
        "region_name": "us-east-1",
        "addressing_style": "path",
        "access_key": "test-access",
        "secret_key": "test-secret",
        "location": "",
        "querystring_expire": 60,
    }
    storages = {
        "default": {"BACKEND": "lib.storage.PrivateS3Storage", "OPTIONS": options},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(
        STORAGE_BACKEND="s3",
        STORAGES=storages,
        MEDIA_SERVING="redirect",
        S3_URL_SECONDS=60,
        # Media must never land on the local disk: point it at an empty folder and look.
        MEDIA_ROOT=str(tmp_path / "media-must-stay-empty"),
    ):
        yield Bucket(client, bucket)


class Bucket:
    def __init__(self, client, name: str):
        self.client = client
        self.name = name

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture(scope="session", autouse=True)
def end_leftover_sessions(django_db_setup, django_db_blocker):
    """Before the PostgreSQL test database is dropped, end the sessions that the live
    server's threads left open (a video stream a browser abandoned keeps one)."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
