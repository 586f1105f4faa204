# Roles (a reviewer watches and comments; no row: a member) and a budget per project.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('generations', '0015_review_core'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='project',
            name='monthly_budget',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='Dollars. Leave empty for no budget.', max_digits=10, null=True, verbose_name='monthly budget'),
        ),
        migrations.AddField(
            model_name='project',
            name='total_budget',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='Dollars. Leave empty for no budget.', max_digits=10, null=True, verbose_name='total budget'),
        ),
        migrations.CreateModel(
            name='Teammate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('member', 'Member'), ('reviewer', 'Reviewer')], default='member', max_length=16)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='teammate', to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
