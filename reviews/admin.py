"""The Django admin for the review workflow and the panel's users. Reviews, decisions, releases,
scores and blind answers change only through their pages and services (so every change is checked
and audited), or never: here they are read. Review sets can be renamed, closed or reopened; a lead
changes panel membership (reviews.roles.LEAD_ADMIN_PERMISSIONS says what a lead may do)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from common.admin import ReadOnlyAdmin
from reviews.models import Adjudication, FlagDecision, Review, ReviewEvent, ReviewSet, Slot, Verdict
from reviews.roles import EXPERTS, LEADS


@admin.register(ReviewSet)
class ReviewSetAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "overlap",
        "order",
        "image_count",
        "is_active",
        "created_by",
        "created_at",
    ]
    list_filter = ["is_active", "order"]
    search_fields = ["name"]
    readonly_fields = ["overlap", "order", "image_count", "created_by", "created_at"]
    fields = ["name", "description", "is_active", "lease_minutes", *readonly_fields]

    def has_add_permission(self, request):
        return False  # created with their slots by the "New review set" page or the API


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["review_set", "image", "number", "state", "expert", "leased_until"]
    list_filter = ["state", "review_set"]
    list_select_related = ["review_set", "expert"]
    raw_id_fields = ["image", "expert"]
    readonly_fields = [
        "review_set",
        "image",
        "number",
        "position",
        "state",
        "expert",
        "leased_until",
    ]

    def has_add_permission(self, request):
        return False


class VerdictInline(admin.TabularInline):
    model = Verdict
    fields = ["label", "value", "added"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReviewEventInline(admin.TabularInline):
    model = ReviewEvent
    fields = ["at", "actor", "action", "before", "after"]
    readonly_fields = fields
    ordering = ["pk"]  # the order the changes were made in, whatever their times say
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["image", "expert", "review_set", "status", "submitted_at", "seconds_spent"]
    list_filter = ["status", "review_set"]
    list_select_related = ["expert", "review_set"]
    search_fields = ["=image__number", "expert__username"]
    raw_id_fields = ["image"]
    readonly_fields = [
        "review_set",
        "image",
        "expert",
        "status",
        "problem_reasons",
        "problem_note",
        "comment",
        "started_at",
        "submitted_at",
        "updated_at",
        "seconds_spent",
    ]
    inlines = [VerdictInline, ReviewEventInline]

    def has_add_permission(self, request):
        return False


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyAdmin):
    list_display = ["pk", "at", "actor", "action", "review"]
    list_filter = ["action"]
    list_select_related = ["actor"]
    readonly_fields = ["review", "actor", "at", "action", "before", "after"]
    # Newest first, by id: the order the changes were made in, whatever their times say.
    ordering = ["-pk"]


@admin.register(Verdict)
class VerdictAdmin(ReadOnlyAdmin):
    list_display = ["review", "label", "value", "added"]
    list_filter = ["value", "added"]
    list_select_related = ["review__expert", "label"]
    search_fields = ["=review__image__number", "review__expert__username"]


@admin.register(Adjudication)
class AdjudicationAdmin(ReadOnlyAdmin):
    """The lead's decisions, made on the adjudication page."""

    list_display = ["image", "label", "value", "decided_by", "decided_at"]
    list_filter = ["value"]
    list_select_related = ["label", "decided_by"]
    search_fields = ["=image__number"]


@admin.register(FlagDecision)
class FlagDecisionAdmin(ReadOnlyAdmin):
    list_display = ["image", "confirmed", "decided_by", "decided_at"]
    list_filter = ["confirmed"]
    list_select_related = ["decided_by"]
    search_fields = ["=image__number"]


PANEL_GROUPS = (EXPERTS, LEADS)

admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class PanelUserAdmin(UserAdmin):
    """Django's user admin for superusers. A lead (view and change permission on users) may
    change the panel membership of users who are not superusers: active or not, experts or leads,
    name and e-mail; never a password, staff or superuser status, another group or a
    permission, so a lead can neither take over an account nor give themselves more rights."""

    lead_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "email")}),
        ("Panel membership", {"fields": ("is_active", "groups")}),
        ("Status", {"fields": ("is_staff", "is_superuser", "last_login", "date_joined")}),
    )
    lead_readonly_fields = ("username", "is_staff", "is_superuser", "last_login", "date_joined")

    def get_fieldsets(self, request, obj=None):
        if obj is None or request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.lead_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return self.lead_readonly_fields

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=PANEL_GROUPS)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        # A lead's form offers the panel's groups only: keep the user's other groups.
        kept = []
        if change and not request.user.is_superuser:
            kept = list(form.instance.groups.exclude(name__in=PANEL_GROUPS))
        super().save_related(request, form, formsets, change)
        form.instance.groups.add(*kept)

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied  # a lead sets no one's password (their own: "Change password")
        return super().user_change_password(request, id, form_url)
