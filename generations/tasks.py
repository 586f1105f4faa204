from django.tasks import task

from . import worker


@task()
def advance_generation(generation_id: str) -> str | None:
    """Queue entry point; the Generation row, not the queue, is the truth about a job."""
    return worker.advance(generation_id)
