"""A project on each ledger entry (what a project's budget and usage count) and a money row
per project (its lock, and which budget alerts were given). Entries already written get the
project their video is in now: before this, a project's spend was that of its videos."""

from django.conf import settings
from django.db import migrations, models


def tag_entries_with_projects(apps, schema_editor):
    generation = apps.get_model("generations", "Generation")
    entry = apps.get_model("billing", "LedgerEntry")
    by_project: dict[int, list] = {}
    rows = generation.objects.filter(project__isnull=False).values_list("pk", "project_id")
    for pk, project_id in rows.iterator():
        by_project.setdefault(project_id, []).append(pk)
    for project_id, refs in by_project.items():
        for start in range(0, len(refs), 500):
            entry.objects.filter(generation_ref__in=refs[start : start + 500]).update(
                project_ref=project_id
            )


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0006_presets_prompt_help'),
        ('generations', '0014_projects'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProjectAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('project_ref', models.PositiveIntegerField(unique=True)),
                ('alerted', models.JSONField(blank=True, default=dict)),
            ],
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='project_ref',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='ledgerentry',
            index=models.Index(fields=['project_ref', 'day'], name='billing_led_project_e8a466_idx'),
        ),
        migrations.RunPython(tag_entries_with_projects, migrations.RunPython.noop),
    ]
