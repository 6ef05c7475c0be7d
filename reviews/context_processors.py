"""The viewer's panel roles for every template (the navigation shows what they may use)."""

from reviews.roles import is_expert, is_lead


def panel_roles(request) -> dict[str, bool]:
    user = getattr(request, "user", None)
    if user is None:
        return {"is_expert": False, "is_lead": False}
    return {"is_expert": is_expert(user), "is_lead": is_lead(user)}
