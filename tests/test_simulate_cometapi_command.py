"""``manage.py simulate_cometapi``: the demo-mode shim that serves cometsim."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests


def test_the_management_command_serves_until_terminated():
    command = [sys.executable, "manage.py", "simulate_cometapi", "--port", "0"]
    process = subprocess.Popen(
        command,
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "VEOSTUDIO_SKIP_DOTENV": "1"},
    )
    try:
        base_url = process.stdout.readline().split()[-1]
        assert base_url.startswith("http://127.0.0.1:")
        stats = requests.get(f"{base_url}/_sim/stats", timeout=5).json()
        assert stats["create_count"] == 0
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
