"""Releases move here from the reviews app (issue 12). Their tables stay where reviews made them
(``db_table``), so this only tells Django's model state; no data moves."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("reviews", "0012_blind_tasks"),
        ("annotator", "0005_model_name_rule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Release",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "version",
                            models.CharField(
                                help_text="Semantic version, e.g. 3.0.0.",
                                max_length=32,
                                unique=True,
                            ),
                        ),
                        ("notes", models.TextField(blank=True)),
                        (
                            "source",
                            models.CharField(
                                help_text="“consensus”, or the file it was imported from.",
                                max_length=200,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sha256", models.CharField(max_length=64)),
                        (
                            "exchange",
                            models.BinaryField(
                                help_text="The canonical TFDS exchange JSON of the release."
                            ),
                        ),
                        ("jsonl_export", models.BinaryField(default=b"")),
                        ("csv_export", models.BinaryField(default=b"")),
                        ("image_count", models.PositiveIntegerField()),
                        ("problematic_count", models.PositiveIntegerField()),
                        ("imagenet_m_count", models.PositiveIntegerField()),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_release",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="ReleaseImage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "image",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="annotator.valimage",
                            ),
                        ),
                        (
                            "release",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="images",
                                to="releases.release",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_releaseimage",
                        "indexes": [models.Index(fields=["image"], name="release_image_by_image")],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("release", "image"), name="release_image_unique"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
