"""Who may call the review API: panel experts, and leads for what manages the panel's work."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from reviews.roles import is_expert, is_lead


class IsExpert(BasePermission):
    """Members of the panel (experts and leads)."""

    message = "Only members of the expert panel may use the review API."

    def has_permission(self, request, view) -> bool:
        return is_expert(request.user)


class IsLead(BasePermission):
    message = "Only panel leads may do this."

    def has_permission(self, request, view) -> bool:
        return is_lead(request.user)


class LeadsWrite(BasePermission):
    """Anyone may read; only leads change (for endpoints where reading and writing share a URL)."""

    message = "Only panel leads may create or change review sets."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_lead(request.user)
