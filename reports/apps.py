from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The pages on top of jobs and money: usage, the audit log, People and accounts."""

    name = "reports"
    verbose_name = "Usage, audit and people"

    def ready(self) -> None:
        from . import accounts, audit

        audit.connect_signals()
        accounts.connect_signals()
