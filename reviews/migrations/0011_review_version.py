"""Issue 11, item 15: a review's version, for optimistic concurrency (two tabs, two clients).
Existing reviews start at 1, as new ones do."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reviews", "0010_leads_admin_permissions")]

    operations = [
        migrations.AddField(
            model_name="review",
            name="version",
            field=models.PositiveIntegerField(
                default=1,
                help_text="Goes up by one with every change; a save based on an older one is refused.",
            ),
        ),
    ]
