"""Put a backup archive back into a fresh install, then bring its schema up to date."""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from lib.backups import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup` into this install (database and "
        "stored files), then run migrations. The whole archive is checked first: one it "
        "does not expect changes nothing. Stop the web server and workers first; everyone "
        "signs in again afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace an install that already has users (its data is lost)",
        )

    def handle(self, *args, archive: Path, force: bool, **options):
        try:
            manifest = restore_backup(archive, force=force, say=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        # A backup from an older version meets newer code: bring the schema forward.
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {archive} (written {manifest['created_at']}, "
                f"{manifest['files']} file(s)); migrations applied"
            )
        )
