from django.apps import AppConfig


class SequencesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sequences"
    verbose_name = "Sequences"

    def ready(self) -> None:
        # The worker's loop runs our two steps when no job step is due (generations.worker).
        from generations import worker

        from . import jobs

        for step in (jobs.start_waiting_shots, jobs.export_in_background):
            if step not in worker.EXTRA_STEPS:
                worker.EXTRA_STEPS.append(step)
