"""A worker can die between any two steps. The reconciler finds the job again, through
the real task queue, and nothing is ever submitted twice."""

import os
import time

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from generations import worker
from generations.models import Generation, Status

from .helpers import expire_lease, make_generation, make_user, step

pytestmark = pytest.mark.django_db(transaction=True)


def run_queue_until_settled(rounds: int = 40) -> None:
    """Drain the database queue as `manage.py worker` would, skipping the waits between polls."""
    for _ in range(rounds):
        now = timezone.now()
        Generation.objects.active().update(next_action_at=now)
        DBTaskResult.objects.filter(status="READY").update(run_after=now)
        worker.reconcile(grace_seconds=0)
        call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0)
        if not Generation.objects.active().exists():
            return


@pytest.fixture
def alice(simulator):
    return make_user("alice")


def test_a_new_job_travels_through_the_real_queue(simulator, alice):
    generation = make_generation(alice)
    generation.enqueue_next_step()
    assert DBTaskResult.objects.count() == 1

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


def test_killed_during_a_poll_is_resumed_by_the_reconciler(simulator, alice):
    simulator.configure(render_seconds=0.3)
    generation = step(make_generation(alice))
    assert generation.status == Status.SUBMITTED
    DBTaskResult.objects.all().delete()  # the queued poll died with its worker
    Generation.objects.claim(generation.pk)  # and so did the one that had started

    assert worker.reconcile(grace_seconds=0) == 0  # lease still running: not yet overdue
    expire_lease(generation)
    assert worker.reconcile(grace_seconds=0) == 1
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
    DBTaskResult.objects.all().delete()  # the restart lost the whole queue

    run_queue_until_settled()

    assert Generation.objects.filter(status=Status.READY).count() == 10
    assert simulator.create_count == 10
    assert len(simulator.creates) == 10


def test_two_reconcilers_re_enqueue_an_overdue_job_once(simulator, alice):
    generation = make_generation(alice)
    expire_lease(generation)
    assert worker.reconcile(grace_seconds=10) == 1
    assert worker.reconcile(grace_seconds=10) == 0  # not overdue again until the grace passes
    assert DBTaskResult.objects.count() == 1


def test_queue_rows_left_running_by_a_killed_worker_are_closed(simulator, alice):
    from datetime import timedelta

    generation = make_generation(alice)
    generation.enqueue_next_step()
    DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now() - timedelta(hours=7))
    worker.reconcile()
    assert DBTaskResult.objects.get().status == "FAILED"


def test_finished_queue_rows_are_pruned_after_a_week(simulator, alice):
    from datetime import timedelta

    for _ in range(2):
        make_generation(alice).enqueue_next_step()
    old, recent = DBTaskResult.objects.all()
    DBTaskResult.objects.filter(pk=old.pk).update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=8)
    )
    DBTaskResult.objects.filter(pk=recent.pk).update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=1)
    )
    worker.reconcile()
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [recent.pk]


# --- workers behind: a task still in the queue is not queued again -----------------------


def test_a_job_whose_task_is_still_queued_is_not_queued_again_by_the_reconciler(simulator, alice):
    generation = make_generation(alice)
    generation.enqueue_next_step()
    # Every worker is busy: the job's moment passes while its task waits in the queue,
    # and the reconciler comes round again and again.
    expire_lease(generation)
    for _ in range(3):
        assert worker.reconcile(grace_seconds=0) == 0
    assert DBTaskResult.objects.count() == 1

    run_queue_until_settled()  # a worker frees up and takes that one task

    generation.refresh_from_db()
    assert generation.status == Status.READY
    assert simulator.create_count == 1


def test_a_job_whose_queued_task_was_lost_is_re_enqueued(simulator, alice):
    kept, lost = make_generation(alice, prompt="Kept"), make_generation(alice, prompt="Lost")
    kept.enqueue_next_step()
    lost.enqueue_next_step()
    DBTaskResult.objects.filter(args_kwargs__args__0=str(lost.pk)).delete()  # lost
    expire_lease(kept)
    expire_lease(lost)

    assert worker.reconcile(grace_seconds=0) == 1
    assert sorted(row.args_kwargs["args"][0] for row in DBTaskResult.objects.all()) == sorted(
        [str(kept.pk), str(lost.pk)]
    )
    run_queue_until_settled()

    assert Generation.objects.filter(status=Status.READY).count() == 2
    assert simulator.create_count == 2


def test_a_job_whose_worker_died_holding_its_task_is_re_enqueued_and_polled_not_resent(
    simulator, alice
):
    simulator.configure(render_seconds=0.3)
    generation = step(make_generation(alice))
    assert generation.status == Status.SUBMITTED
    # A worker takes the queued poll, claims the job, and is killed: its queue row stays
    # RUNNING forever, only the job's lease runs out.
    task = DBTaskResult.objects.get(status="READY")
    task.claim("worker-that-died")
    Generation.objects.claim(generation.pk)

    assert worker.reconcile(grace_seconds=0) == 0  # lease still running: it may be alive
    expire_lease(generation)
    assert worker.reconcile(grace_seconds=0) == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    time.sleep(0.3)
    run_queue_until_settled()

    generation.refresh_from_db()
    assert generation.status == Status.READY
    assert simulator.create_count == 1


def test_the_queue_is_read_once_however_many_jobs_are_overdue(simulator, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_requeue(jobs: int) -> int:
        for n in range(jobs):
            generation = make_generation(alice, prompt=f"Shot {n}")
            generation.enqueue_next_step()
            expire_lease(generation)
        with CaptureQueriesContext(connection) as queries:
            assert Generation.objects.requeue_overdue(grace_seconds=0) == []
        Generation.objects.all().delete()
        DBTaskResult.objects.all().delete()
        return len(queries)

    assert queries_to_requeue(2) == queries_to_requeue(20) == 2  # the jobs, then the queue


def test_tasks_left_in_the_database_queue_do_not_hold_jobs_back_once_it_is_not_used(
    simulator, alice
):
    from django.test import override_settings

    generation = make_generation(alice)
    generation.enqueue_next_step()  # then the site moves to another task backend
    expire_lease(generation)
    other = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=other):
        assert worker.reconcile(grace_seconds=0) == 1  # no db_worker will ever run that row
