"""Model names follow one rule (annotator.names): letters, digits and . _ + -. A validator only,
so the admin and forms refuse other names; rows stored earlier are kept as they are."""

from django.db import migrations, models

import annotator.names


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0004_pictured_images_by_class"),
    ]

    operations = [
        migrations.AlterField(
            model_name="classifier",
            name="name",
            field=models.CharField(
                help_text="Letters, digits and . _ + - (it appears in URLs and file names).",
                max_length=100,
                unique=True,
                validators=[annotator.names.validate_model_name],
            ),
        ),
    ]
