import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from generations import worker


class Command(BaseCommand):
    help = (
        "Run the background worker: claim the jobs whose next action is due, one step at "
        "a time, with the heartbeat, slot wake-ups and Trash purge in the same loop."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=0.5, help="seconds between looks when nothing is due"
        )

    def handle(self, *args, interval: float, **options):
        stop = threading.Event()

        def finish(signum, frame):
            # The step under way ends first; a second signal stops at once, which a
            # step survives too (its lease runs out and another worker takes it again).
            if stop.is_set():
                raise SystemExit(1)
            stop.set()

        signal.signal(signal.SIGTERM, finish)
        signal.signal(signal.SIGINT, finish)
        self.stdout.write(f"Worker started (CometAPI at {settings.COMETAPI_BASE_URL})")
        worker.run(stop, interval=interval)
        self.stdout.write("Worker stopped")
