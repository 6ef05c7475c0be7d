"""Scores and blind labelling move here from the reviews app (issue 12). Their tables stay where
reviews made them (``db_table``), so this only tells Django's model state; no data moves."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("reviews", "0012_blind_tasks"),
        ("annotator", "0005_model_name_rule"),
        ("releases", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="BlindTask",
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
                        ("token", models.CharField(max_length=64, unique=True)),
                        ("issued_at", models.DateTimeField()),
                        ("skipped_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "image",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="annotator.valimage",
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_blindtask",
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("skipped_at__isnull", True)),
                                fields=("person",),
                                name="blind_task_one_open_per_person",
                            ),
                            models.UniqueConstraint(
                                fields=("person", "image"), name="blind_task_one_per_image"
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HumanLabel",
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
                            "seconds",
                            models.FloatField(help_text="From the picture shown to the answer."),
                        ),
                        ("answered_at", models.DateTimeField()),
                        (
                            "image",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="annotator.valimage",
                            ),
                        ),
                        (
                            "label",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="annotator.imageclass",
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="human_labels",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_humanlabel",
                        "ordering": ["person_id", "image_id"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("person", "image"), name="human_label_one_per_image"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ModelScore",
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
                        ("inputs", models.CharField(max_length=100)),
                        (
                            "summary",
                            models.JSONField(
                                help_text="Every variant of the score, with its interval."
                            ),
                        ),
                        (
                            "per_class",
                            models.JSONField(
                                help_text="Per class: images scored, right, strict, original."
                            ),
                        ),
                        ("computed_at", models.DateTimeField()),
                        (
                            "classifier",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="annotator.classifier",
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "release",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="scores",
                                to="releases.release",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_modelscore",
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("classifier__isnull", False)),
                                fields=("release", "classifier"),
                                name="model_score_one_per_classifier",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("person__isnull", False)),
                                fields=("release", "person"),
                                name="model_score_one_per_person",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("classifier__isnull", True),
                                    ("person__isnull", True),
                                    _connector="XOR",
                                ),
                                name="model_score_of_a_model_or_a_person",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
