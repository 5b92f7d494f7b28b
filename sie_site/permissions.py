"""The SRE API's permission: staff, and then Django's model permissions (issue 10).

`is_staff` alone let every staff account (a support agent with admin access to customers)
create, change and delete SLOs and services. Now reading needs `view_<model>` and writing
`add_`/`change_`/`delete_<model>` of the view's model, granted per user or group in the admin;
superusers have them all.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request

VIEW = "%(app_label)s.view_%(model_name)s"


def _has_model(view: Any) -> bool:
    if getattr(view, "queryset", None) is not None:
        return True
    # A get_queryset of our own (DRF's GenericAPIView only asserts a queryset is set). The
    # class is looked up by module, not imported: rest_framework.generics imports this
    # module's setting while it loads.
    owner = next((k for k in type(view).__mro__ if "get_queryset" in vars(k)), None)
    return owner is not None and not owner.__module__.startswith("rest_framework.")


class StaffModelPermissions(DjangoModelPermissions):
    perms_map = {**DjangoModelPermissions.perms_map, "GET": [VIEW], "HEAD": [VIEW]}

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        # A view without a model has no model permission to check: staff only, as before.
        return super().has_permission(request, view) if _has_model(view) else True
