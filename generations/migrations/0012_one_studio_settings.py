"""The studio's settings are one row now, billing's (its 0005 copied this row's value)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0011_gallery_page_index"),
        ("billing", "0005_one_studio_settings"),
    ]

    operations = [migrations.DeleteModel(name="StudioSettings")]
