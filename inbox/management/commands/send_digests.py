"""Mail the inbox's lines that are due: instant ones at once, daily digests once a day.
The worker runs it on its tidy pass when EMAIL_HOST is set; cron may run it too (two runs
at once never mail a line twice)."""

from django.core.management.base import BaseCommand

from inbox.mail import send_due


class Command(BaseCommand):
    help = "Mail the inbox's mentions and decisions that are due (instant and daily digests)."

    def handle(self, *args, **options) -> None:
        sent = send_due()
        if sent and options["verbosity"] > 0:
            self.stdout.write(f"Sent {sent} inbox mail{'s' if sent != 1 else ''}.")
