"""One settings row for the studio: the team's "share new videos" choice joins billing's row,
its value copied from the generations app's own row (deleted by generations 0011)."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _money_or_none(value):
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def copy_share_new_videos(apps, schema_editor):
    old = apps.get_model("generations", "StudioSettings").objects.filter(pk=1).first()
    if old is None:
        return  # never set: the new field's default (not shared) is what the studio had
    studio = apps.get_model("billing", "StudioSettings")
    values = {"share_new_videos": old.share_new_videos, "updated_by_id": old.updated_by_id}
    if not studio.objects.filter(pk=1).update(**values):
        # No billing row yet: made as StudioSettings.load() would make it.
        studio.objects.create(
            pk=1,
            discount_percent=Decimal(str(settings.BILLING_STUDIO_DISCOUNT_PERCENT)),
            failed_tasks_charged=settings.BILLING_FAILED_TASKS_CHARGED,
            team_cap=_money_or_none(settings.BILLING_TEAM_MONTHLY_CAP),
            team_concurrency=settings.BILLING_TEAM_CONCURRENCY,
            **values,
        )


def copy_back(apps, schema_editor):
    row = apps.get_model("billing", "StudioSettings").objects.filter(pk=1).first()
    if row is not None:
        apps.get_model("generations", "StudioSettings").objects.update_or_create(
            pk=1,
            defaults={"share_new_videos": row.share_new_videos, "updated_by_id": row.updated_by_id},
        )


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0004_member_link_version'),
        ('generations', '0010_drop_task_queue'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='studiosettings',
            options={'verbose_name': 'studio settings', 'verbose_name_plural': 'studio settings'},
        ),
        migrations.AddField(
            model_name='studiosettings',
            name='share_new_videos',
            field=models.BooleanField(default=False, help_text='New videos start shared; their makers can still unshare each one.', verbose_name='Share new videos with the team'),
        ),
        migrations.AddField(
            model_name='studiosettings',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='studiosettings',
            name='updated_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='studiosettings',
            constraint=models.CheckConstraint(condition=models.Q(('pk', 1)), name='one_studio_row'),
        ),
        migrations.RunPython(copy_share_new_videos, copy_back),
    ]
