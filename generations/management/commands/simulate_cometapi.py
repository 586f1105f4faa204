"""``manage.py simulate_cometapi``: the Django way to start ``cometsim`` for demo mode."""

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from cometsim import CometSimulator


class Command(BaseCommand):
    help = "Serve a local stand-in for CometAPI's video route (demo mode) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
        parser.add_argument(
            "--render-seconds",
            type=float,
            default=6.0,
            help="how long a task takes to complete",
        )
        parser.add_argument(
            "--api-key", default=None, help="the only key accepted (default: any key)"
        )
        parser.add_argument(
            "--video-url-ttl",
            type=float,
            default=3600.0,
            help="seconds a completed task's video_url stays valid",
        )

    def handle(self, *args, **options):
        if options["render_seconds"] < 0 or options["video_url_ttl"] < 0:
            raise CommandError("--render-seconds and --video-url-ttl must not be negative")
        if options["verbosity"] >= 2:
            logger = logging.getLogger("cometsim")
            logger.setLevel(logging.DEBUG)
            if not logger.hasHandlers():
                logger.addHandler(logging.StreamHandler())

        simulator = CometSimulator(
            api_key=options["api_key"],
            render_seconds=options["render_seconds"],
            video_url_ttl=options["video_url_ttl"],
        )
        try:
            simulator.start(options["host"], options["port"])
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc

        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        self.stdout.write(f"CometAPI simulator listening on {simulator.base_url}")
        self.stdout.flush()
        try:
            while not stopping.wait(0.5):
                pass
        finally:
            simulator.stop()
