"""Leads can use the admin (issue 11, item 13): the leads group gets the permissions a lead needs
there, read only where the data must not change. The list is reviews.roles.LEAD_ADMIN_PERMISSIONS
as it stood when this migration was written (a later change needs a migration of its own).

The audit trail is ordered by event id, its commit order (issue 11, item 14): an event's time is
when its change began, so a change that waited for another's lock can carry an earlier time."""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import Q

LEADS = "leads"
LEAD_ADMIN_PERMISSIONS = (
    ("annotator", "view_imageclass"),
    ("annotator", "view_valimage"),
    ("annotator", "view_classifier"),
    ("annotator", "view_predictions"),
    ("annotator", "view_candidate"),
    ("reviews", "view_reviewset"),
    ("reviews", "change_reviewset"),
    ("reviews", "view_slot"),
    ("reviews", "view_review"),
    ("reviews", "view_verdict"),
    ("reviews", "view_reviewevent"),
    ("reviews", "view_release"),
    ("reviews", "view_releaseimage"),
    ("reviews", "view_adjudication"),
    ("reviews", "view_flagdecision"),
    ("reviews", "view_humanlabel"),
    ("reviews", "view_modelscore"),
    ("auth", "view_user"),
    ("auth", "change_user"),
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
)


def _wanted() -> Q:
    wanted = Q()
    for app_label, codename in LEAD_ADMIN_PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    return wanted


def grant(apps, schema_editor):
    # Django makes permissions after the whole `migrate` (post_migrate); make them now, for the
    # apps involved, so that a new database's leads get them in this step.
    # (A historical app config has no models module, which create_permissions takes for "no
    # models": lend it one for the call, and give back what it had, so that a call with the
    # project's own registry leaves it as it was.)
    for app_label in dict.fromkeys(app_label for app_label, _ in LEAD_ADMIN_PERMISSIONS):
        app_config = apps.get_app_config(app_label)
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    leads, _ = Group.objects.get_or_create(name=LEADS)
    leads.permissions.add(*Permission.objects.filter(_wanted()))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for leads in Group.objects.filter(name=LEADS):
        leads.permissions.remove(*Permission.objects.filter(_wanted()))


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0009_index_lease_ends"),
        ("annotator", "0004_pictured_images_by_class"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
    ]
    operations = [
        migrations.RunPython(grant, revoke),
        migrations.AlterModelOptions(name="reviewevent", options={"ordering": ["review_id", "pk"]}),
    ]
