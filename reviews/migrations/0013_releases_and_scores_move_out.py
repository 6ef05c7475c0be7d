"""Releases, scores and blind labelling leave the reviews app (issue 12) for the apps releases and
scoring, which now own them. The tables stay (those apps name them with ``db_table``), so the
model state changes, not the database. Their content types change app, so that the admin
log and the leads' permissions on them carry over."""

from django.db import migrations

MOVED = {
    "release": "releases",
    "releaseimage": "releases",
    "humanlabel": "scoring",
    "modelscore": "scoring",
    "blindtask": "scoring",
}


def _relabel(apps, moves: dict[tuple[str, str], str]) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for (app_label, model), new_label in moves.items():
        # A content type made for the new app already (e.g. by a migrate that ran the new apps
        # first and then stopped) holds no permission a lead was given: the old one wins.
        ContentType.objects.filter(app_label=new_label, model=model).delete()
        ContentType.objects.filter(app_label=app_label, model=model).update(app_label=new_label)


def move_content_types(apps, schema_editor):
    _relabel(apps, {("reviews", model): app for model, app in MOVED.items()})


def move_content_types_back(apps, schema_editor):
    _relabel(apps, {(app, model): "reviews" for model, app in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0001_initial"),
        ("releases", "0001_initial"),
        ("reviews", "0012_blind_tasks"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="humanlabel",
                    name="image",
                ),
                migrations.RemoveField(
                    model_name="humanlabel",
                    name="label",
                ),
                migrations.RemoveField(
                    model_name="humanlabel",
                    name="person",
                ),
                migrations.RemoveField(
                    model_name="modelscore",
                    name="classifier",
                ),
                migrations.RemoveField(
                    model_name="modelscore",
                    name="person",
                ),
                migrations.RemoveField(
                    model_name="modelscore",
                    name="release",
                ),
                migrations.RemoveField(
                    model_name="release",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="releaseimage",
                    name="release",
                ),
                migrations.RemoveField(
                    model_name="releaseimage",
                    name="image",
                ),
                migrations.DeleteModel(
                    name="BlindTask",
                ),
                migrations.DeleteModel(
                    name="HumanLabel",
                ),
                migrations.DeleteModel(
                    name="ModelScore",
                ),
                migrations.DeleteModel(
                    name="Release",
                ),
                migrations.DeleteModel(
                    name="ReleaseImage",
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=False),
    ]
