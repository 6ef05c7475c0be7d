"""A base for the admin pages of data that changes only through its services."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Data written only by its services, or never: read here, by whoever may view it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
