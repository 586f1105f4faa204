from decimal import Decimal

from django.db import migrations

# Public list prices at the time of writing, in dollars per second; admins edit them in the app.
DEFAULTS = [
    ("veo3.1", "720p", "0.40"),
    ("veo3.1", "1080p", "0.40"),
    ("veo3.1", "4k", "0.60"),
    ("veo3.1-fast", "720p", "0.10"),
    ("veo3.1-fast", "1080p", "0.12"),
    ("veo3.1-fast", "4k", "0.30"),
]


def seed(apps, schema_editor):
    Price = apps.get_model("billing", "Price")
    for model, tier, rate in DEFAULTS:
        Price.objects.get_or_create(
            model=model, tier=tier, defaults={"list_per_second": Decimal(rate)}
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
