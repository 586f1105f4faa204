import uuid

from django.tasks import task, task_backends

from . import worker


@task()
def advance_generation(generation_id: str) -> str | None:
    """Queue entry point; the Generation row, not the queue, is the truth about a job."""
    return worker.advance(generation_id)


def due_in_queue() -> set[uuid.UUID]:
    """The jobs with an `advance_generation` task in the queue that a worker will take as
    soon as one is free: due, and not yet started. One read of the queue, whatever its size.

    A RUNNING row is not counted: its worker may have died (django-tasks issue #46), and
    only the job's lease tells. Nor is a row due later: an overdue job should not wait for it.
    """
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends[advance_generation.backend], DatabaseBackend):
        return set()  # no database queue, so nothing in it will ever run
    rows = (
        DBTaskResult.objects.ready()  # what db_worker picks from, read the same way
        .filter(
            backend_name=advance_generation.backend,
            queue_name=advance_generation.queue_name,
            task_path=advance_generation.module_path,
        )
        .values_list("args_kwargs", flat=True)
    )
    queued = set()
    for args_kwargs in rows:
        # The pk is compared as a UUID in Python, not as JSON text in SQL: SQLite keeps
        # UUIDs as 32 hex digits and PostgreSQL as a uuid, the queue as "8-4-4-4-12" text.
        try:
            queued.add(uuid.UUID(str(args_kwargs["args"][0])))
        except (KeyError, IndexError, TypeError, ValueError):
            continue  # not one of ours; it cannot stand for a job
    return queued
