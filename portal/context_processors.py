from . import roles


def role_flags(request):
    """Role flags for the navigation, computed once per request."""
    user = getattr(request, "user", None)
    return {
        "is_patient": roles.is_patient(user),
        "is_nurse": roles.is_nurse(user),
        "is_admin_role": roles.is_admin(user),
        "is_charge_nurse": roles.CHARGE_NURSE in roles.user_roles(user),
    }
