"""Write the database and every stored file into one archive, while the app runs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lib.backups import BackupError, write_backup


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the database (SQLite online backup or pg_dump) and "
        "every file its videos name into one archive (.tar, or .tar.gz to compress), readable "
        "by its owner only. Sessions are left out."
    )

    # The checks open a write transaction (SQLite's IMMEDIATE mode): a busy studio would
    # make the backup wait for the writers, the very thing the online backup avoids.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="where to write, e.g. backup.tar")

    def handle(self, *args, archive: Path, **options):
        try:
            manifest = write_backup(archive, say=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {archive} ({manifest['database']}, {manifest['files']} file(s))"
            )
        )
