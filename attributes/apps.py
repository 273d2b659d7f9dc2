from __future__ import annotations

from django.apps import AppConfig


class AttributesConfig(AppConfig):
    name = "attributes"
    verbose_name = "Custom security attributes"

    def ready(self) -> None:
        # Each actions module registers, next to its actions, how to tell whether a
        # recorded change took effect; audit_reconcile needs every one of them loaded.
        from attributes.actions import assignments, definitions, help_text, sets  # noqa: F401
        from attributes.bulk.jobs import resume_after_sign_in
        from portal.auth.signals import signed_in

        signed_in.connect(resume_after_sign_in, dispatch_uid="bulk-resume-after-sign-in")
