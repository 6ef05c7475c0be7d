"""Load the catalogue (1000 classes, 50,000 validation images) from the shipped data files."""

from django.db import migrations


def load_catalogue(apps, schema_editor):
    from annotator.services.catalogue import populate_catalogue

    populate_catalogue(
        image_class_model=apps.get_model("annotator", "ImageClass"),
        val_image_model=apps.get_model("annotator", "ValImage"),
    )


def unload_catalogue(apps, schema_editor):
    apps.get_model("annotator", "ValImage").objects.all().delete()
    apps.get_model("annotator", "ImageClass").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("annotator", "0001_initial")]
    operations = [migrations.RunPython(load_catalogue, unload_catalogue)]
