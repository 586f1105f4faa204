import pytest
from django.test import override_settings

from cometsim import CometSimulator


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
