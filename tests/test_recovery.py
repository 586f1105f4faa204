"""A worker can die between any two steps. The job row is the queue: a killed worker's
lease runs out, the row is due again, the next worker takes it, and nothing is ever
submitted twice. And the worker outlives a busy or briefly absent database."""

import logging
import os
import sqlite3
import threading
import time
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.db import OperationalError, connection, connections
from django.test import override_settings
from django.utils import timezone

from generations import worker
from generations.models import Generation, Status

from .helpers import expire_lease, make_generation, make_user, step

pytestmark = pytest.mark.django_db(transaction=True)


def run_queue_until_settled(rounds: int = 80) -> None:
    """Take due jobs as `manage.py worker` does, skipping the waits between polls."""
    for _ in range(rounds):
        Generation.objects.active().filter(lease=None).update(next_action_at=timezone.now())
        worker.tidy()
        while worker.advance_next() is not None:
            pass
        if not Generation.objects.active().exists():
            return


@pytest.fixture
def alice(simulator):
    return make_user("alice")


def test_a_new_job_is_taken_from_its_row_and_finished(simulator, alice):
    generation = make_generation(alice)
    assert list(Generation.objects.due()) == [generation]

    run_queue_until_settled()

    generation.refresh_from_db()
    assert generation.status == Status.READY
    assert simulator.create_count == 1


def test_killed_before_the_task_id_was_saved_is_marked_uncertain_not_resent(simulator, alice):
    generation = make_generation(alice)
    # The dying worker: it claimed the job, recorded that it was sending, CometAPI
    # accepted the job, and the process was killed before the answer was saved.
    claimed = Generation.objects.claim(generation.pk)
    claimed.submit_started_at = timezone.now()
    Generation.objects.filter(pk=claimed.pk).update(submit_started_at=claimed.submit_started_at)
    worker.get_client().create(
        model="veo3.1-fast", prompt=claimed.prompt, seconds=4, size="1280x720"
    )
    assert simulator.create_count == 1

    expire_lease(generation)
    run_queue_until_settled()

    generation.refresh_from_db()
    assert generation.status == Status.UNCERTAIN
    assert "check before retrying" in generation.failure_reason
    assert simulator.create_count == 1


def test_killed_during_a_poll_is_taken_again_once_its_lease_runs_out(simulator, alice):
    simulator.configure(render_seconds=0.3)
    generation = step(make_generation(alice))
    assert generation.status == Status.SUBMITTED
    Generation.objects.filter(pk=generation.pk).update(next_action_at=timezone.now())
    assert Generation.objects.claim_next() is not None  # the worker that was then killed

    assert worker.advance_next() is None  # lease still running: it may be alive
    expire_lease(generation)
    time.sleep(0.3)
    run_queue_until_settled()

    generation.refresh_from_db()
    assert generation.status == Status.READY
    assert simulator.create_count == 1


def test_killed_mid_download_discards_the_partial_file_and_downloads_again(simulator, alice):
    generation = step(step(make_generation(alice)))
    assert generation.status == Status.SAVING
    Generation.objects.claim(generation.pk)
    partial_dir = worker.settings.WORKER_SCRATCH_DIR
    os.makedirs(partial_dir, exist_ok=True)
    partial = os.path.join(partial_dir, "abandoned.part")
    with open(partial, "wb") as handle:
        handle.write(b"\x00\x00\x00\x18ftypmp42" + b"half a video")
    old = time.time() - 3600
    os.utime(partial, (old, old))

    expire_lease(generation)
    run_queue_until_settled()

    generation.refresh_from_db()
    assert generation.status == Status.READY
    assert not os.path.exists(partial)
    assert generation.video_bytes == default_storage.size(generation.video.name)
    assert simulator.create_count == 1


def test_a_restart_with_ten_jobs_in_flight_finishes_all_with_ten_creates(simulator, alice):
    jobs = [make_generation(alice, prompt=f"Shot {n}") for n in range(10)]
    for generation in jobs[:4]:
        step(generation)  # some submitted, some waiting
    for generation in jobs[4:6]:
        step(step(generation))  # some saving
    # The workers were killed holding them all, and their leases have run out since.
    Generation.objects.active().update(
        lease=uuid.uuid4(), next_action_at=timezone.now() - timedelta(minutes=5)
    )

    run_queue_until_settled()

    assert Generation.objects.filter(status=Status.READY).count() == 10
    assert simulator.create_count == 10
    assert len(simulator.creates) == 10


def test_two_workers_never_take_the_same_job(simulator, alice):
    first, second = make_generation(alice, prompt="One"), make_generation(alice, prompt="Two")

    taken = [Generation.objects.claim_next(), Generation.objects.claim_next()]

    assert {job.pk for job in taken} == {first.pk, second.pk}
    assert taken[0].lease != taken[1].lease
    assert Generation.objects.claim_next() is None  # both held; nothing else is due
    assert Generation.objects.claim(first.pk) is None


def test_the_job_due_longest_goes_first(simulator, alice):
    later, sooner = make_generation(alice, prompt="Later"), make_generation(alice, prompt="Sooner")
    now = timezone.now()
    Generation.objects.filter(pk=later.pk).update(next_action_at=now - timedelta(seconds=1))
    Generation.objects.filter(pk=sooner.pk).update(next_action_at=now - timedelta(minutes=1))

    assert Generation.objects.claim_next().pk == sooner.pk


def test_a_job_not_yet_due_or_finished_is_left_alone(simulator, alice):
    waiting = make_generation(alice)
    Generation.objects.filter(pk=waiting.pk).update(
        next_action_at=timezone.now() + timedelta(minutes=1)
    )
    make_generation(alice, prompt="Failed").mark_failed("Nope")  # in memory only
    Generation.objects.exclude(pk=waiting.pk).update(status=Status.FAILED)

    assert Generation.objects.claim_next() is None


def test_an_active_job_that_lost_its_due_time_is_still_taken(simulator, alice):
    generation = make_generation(alice)
    Generation.objects.filter(pk=generation.pk).update(next_action_at=None)

    run_queue_until_settled()

    generation.refresh_from_db()
    assert generation.status == Status.READY


# --- the loop: `manage.py worker` ----------------------------------------------------------


class RunningWorker:
    """`worker.run` in a thread, as `manage.py worker` runs it."""

    def __init__(self):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        worker.run(self.stop, interval=0.05, name="test-worker")
        connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


def wait_for_status(generation, status, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        generation.refresh_from_db()
        if generation.status == status:
            return generation
        time.sleep(0.05)
    raise AssertionError(f"still {generation.status}, wanted {status}")


@override_settings(COMETAPI_POLL_INTERVAL=0.05, HOUSEKEEPING_INTERVAL_SECONDS=0.2)
def test_the_worker_loop_finishes_a_job_and_keeps_its_heartbeat(simulator, alice):
    generation = make_generation(alice)

    with RunningWorker():
        wait_for_status(generation, Status.READY)

    assert simulator.create_count == 1
    assert worker.WorkerHeartbeat.objects.filter(name="test-worker").exists()


@override_settings(COMETAPI_POLL_INTERVAL=0.05, HOUSEKEEPING_INTERVAL_SECONDS=0.2)
def test_the_worker_waits_out_database_errors_and_goes_on(simulator, alice, caplog):
    generation = make_generation(alice)
    real_claim_next = Generation.objects.claim_next
    failures = iter([OperationalError("database is locked"), OperationalError("server closed")])

    def flaky_claim_next():
        error = next(failures, None)
        if error:
            raise error
        return real_claim_next()

    with (
        mock.patch.object(worker, "DATABASE_WAIT_MAX_SECONDS", 0.2),
        mock.patch.object(Generation.objects, "claim_next", side_effect=flaky_claim_next),
        caplog.at_level(logging.WARNING, logger="generations.worker"),
        RunningWorker() as running,
    ):
        wait_for_status(generation, Status.READY)
        assert running.thread.is_alive()

    waits = [r.getMessage() for r in caplog.records if "database busy" in r.getMessage()]
    assert waits == [
        "database busy or unreachable (database is locked); trying again in 0 s",
        "database busy or unreachable (server closed); trying again in 0 s",
    ]
    assert simulator.create_count == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's file lock")
@override_settings(COMETAPI_POLL_INTERVAL=0.05, HOUSEKEEPING_INTERVAL_SECONDS=0.2)
def test_the_worker_outlives_a_write_that_holds_sqlite_longer_than_its_timeout(
    simulator, alice, caplog
):
    generation = make_generation(alice)
    options = connections.settings["default"]["OPTIONS"]
    # A long management command: an IMMEDIATE transaction held on the file from another
    # connection, longer than the worker's busy timeout (shortened from 20 s to 0.3 s).
    blocker = sqlite3.connect(connections.settings["default"]["NAME"], isolation_level=None)
    with (
        mock.patch.dict(options, {"timeout": 0.3}),
        mock.patch.object(worker, "DATABASE_WAIT_MAX_SECONDS", 0.5),
        caplog.at_level(logging.WARNING, logger="generations.worker"),
    ):
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with RunningWorker() as running:
                time.sleep(2.0)
                assert running.thread.is_alive()
                blocker.execute("COMMIT")
                wait_for_status(generation, Status.READY)
        finally:
            if blocker.in_transaction:
                blocker.execute("ROLLBACK")
            blocker.close()

    assert any("database is locked" in r.getMessage() for r in caplog.records)
    assert simulator.create_count == 1


def test_a_database_error_in_a_step_leaves_the_job_as_a_killed_worker_would(simulator, alice):
    generation = make_generation(alice)

    with mock.patch.object(worker.slots, "admit", side_effect=OperationalError("disk I/O error")):
        with pytest.raises(OperationalError):
            worker.advance_next()

    generation.refresh_from_db()
    assert (generation.status, generation.attempts) == (Status.WAITING, 0)
    assert generation.submit_started_at is None  # no attempt spent, nothing sent
    assert simulator.create_count == 0
    expire_lease(generation)
    run_queue_until_settled()
    generation.refresh_from_db()
    assert generation.status == Status.READY
    assert simulator.create_count == 1


def test_a_paid_task_id_is_written_once_the_database_is_free_again(simulator, alice):
    generation = make_generation(alice)
    real_release = Generation.release
    calls = []

    def locked_once(job):
        calls.append(job.status)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real_release(job)

    with (
        mock.patch.object(worker, "DATABASE_WAIT_MAX_SECONDS", 0.05),
        mock.patch.object(Generation, "release", locked_once),
    ):
        assert worker.advance_next() == Status.SUBMITTED

    generation.refresh_from_db()
    assert calls == [Status.SUBMITTED, Status.SUBMITTED]
    assert generation.status == Status.SUBMITTED
    assert generation.task_id  # not lost to the lock, so never "uncertain"
    assert simulator.create_count == 1
