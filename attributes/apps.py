from __future__ import annotations

from django.apps import AppConfig


class AttributesConfig(AppConfig):
    name = "attributes"
    verbose_name = "Custom security attributes"

    def ready(self) -> None:
        # Each actions module registers, next to its actions, how to tell whether a
        # recorded change took effect; audit_reconcile needs every one of them loaded.
        from attributes.actions import assignments, definitions, help_text, sets  # noqa: F401
