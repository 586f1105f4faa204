# The job row is the only queue now: the django-tasks-db app is gone, and with it its table.
# Django leaves a removed app's tables behind, so this drops it (and forgets its migrations,
# so that adding the app back one day would create the table again). Nothing to undo.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("generations", "0009_event_handed_over")]

    operations = [
        migrations.RunSQL(
            [
                "DROP TABLE IF EXISTS django_tasks_database_dbtaskresult",
                "DELETE FROM django_migrations WHERE app = 'django_tasks_database'",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
