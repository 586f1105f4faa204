import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from generations import worker

log = logging.getLogger("generations.worker")


class Command(BaseCommand):
    help = "Run the background worker: the task queue plus the reconciler and heartbeat."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5, help="queue poll seconds")

    def handle(self, *args, interval: float, **options):
        stop = threading.Event()
        reconciler = threading.Thread(
            target=self.reconcile_forever, args=(stop,), name="reconciler", daemon=True
        )
        reconciler.start()
        self.stdout.write(f"Worker started (CometAPI at {settings.COMETAPI_BASE_URL})")
        try:
            call_command("db_worker", interval=interval, reload=False, startup_delay=False)
        finally:
            stop.set()

    def reconcile_forever(self, stop: threading.Event) -> None:
        # The queue alone can lose work (a killed worker leaves its task RUNNING
        # forever), so every few seconds jobs whose next step is overdue are re-enqueued.
        while not stop.is_set():
            try:
                worker.beat()
                worker.reconcile()
            except Exception:
                log.exception("reconciler pass failed; trying again")
            finally:
                close_old_connections()
            stop.wait(settings.RECONCILE_INTERVAL_SECONDS)
