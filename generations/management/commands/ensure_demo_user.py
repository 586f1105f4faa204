"""Give a fresh install a first login, and show it again on later starts."""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import IntegrityError, transaction

DEMO_USERNAME = "demo"
# No 0/o or 1/l/i: the password is read off a terminal and typed by hand.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def readable_password() -> str:
    """Three groups of four, e.g. 'k7vq-m2xa-9tne' (about 59 bits)."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3))


def write_login_file(path: Path, username: str, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # O_CREAT's mode does not apply to a file that already existed.
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"username: {username}\npassword: {password}\n")


def read_login_file(path: Path) -> tuple[str, str] | None:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    fields = dict(line.split(": ", 1) for line in lines if ": " in line)
    if fields.get("username") and fields.get("password"):
        return fields["username"], fields["password"]
    return None


class Command(BaseCommand):
    help = (
        "If no user exists, create the superuser 'demo' with a random password, "
        "store it in var/demo-login.txt and print the login. Later runs print the "
        "stored login again while it still works."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="Address shown in the login line.",
        )
        parser.add_argument(
            "--login-file",
            type=Path,
            default=None,
            help="Where the password is kept (default: var/demo-login.txt).",
        )
        parser.add_argument(
            "--no-create",
            action="store_true",
            help="Never create a user; say how to create one if none exists.",
        )

    def handle(self, *args, url, login_file, no_create, **options):
        login_file = login_file or Path(settings.BASE_DIR) / "var" / "demo-login.txt"
        User = get_user_model()

        if not User.objects.exists():
            if no_create:
                self.stdout.write(
                    "No user exists yet. Create one with: "
                    ".venv/bin/python manage.py createsuperuser"
                )
                return
            password = readable_password()
            try:
                with transaction.atomic():
                    User.objects.create_superuser(DEMO_USERNAME, "", password)
                    # Inside the transaction: if the file cannot be written, no user
                    # is left behind with a password nobody has seen.
                    write_login_file(login_file, DEMO_USERNAME, password)
            except IntegrityError:
                # Another process created it between our check and the insert.
                return
            self.stdout.write(f"Log in at {url} as {DEMO_USERNAME} / {password}")
            return

        stored = read_login_file(login_file)
        if stored is None:
            return
        username, password = stored
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            return
        if user.check_password(password):
            self.stdout.write(f"Log in at {url} as {username} / {password}")
        else:
            self.stdout.write(
                f"The password of '{username}' was changed since {login_file} was "
                "written; log in with the new one."
            )
