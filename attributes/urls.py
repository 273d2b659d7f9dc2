from __future__ import annotations

from django.urls import path

from attributes.views import (
    agents,
    audit,
    bulk,
    coverage,
    definitions,
    find,
    home,
    objects,
    sets,
)

app_name = "attributes"

DEFINITION = "sets/<str:set_name>/attributes/<str:name>"
OBJECT = "objects/<str:graph_type>/<str:object_id>"
ASSIGNMENT = f"{OBJECT}/attributes/<str:definition_id>"

urlpatterns = [
    path("", home.home, name="home"),
    path("me/refresh-roles", home.refresh_roles, name="refresh_roles"),
    path("sets/", sets.set_list, name="set_list"),
    path("sets/new", sets.set_create, name="set_create"),
    path("sets/check-name", sets.check_set_name, name="check_set_name"),
    path("sets/check-values", definitions.check_values, name="check_values"),
    path("sets/<str:name>/", sets.set_detail, name="set_detail"),
    path("sets/<str:name>/edit", sets.set_edit, name="set_edit"),
    path("sets/<str:name>/policy", sets.set_policy_edit, name="set_policy_edit"),
    path(
        "sets/<str:set_name>/attributes/new",
        definitions.definition_create,
        name="definition_create",
    ),
    path(
        "sets/<str:set_name>/attributes/check-name",
        definitions.check_definition_name,
        name="check_definition_name",
    ),
    path(f"{DEFINITION}/", definitions.definition_detail, name="definition_detail"),
    path(f"{DEFINITION}/edit", definitions.definition_edit, name="definition_edit"),
    path(f"{DEFINITION}/status", definitions.definition_status, name="definition_status"),
    path(f"{DEFINITION}/values", definitions.values_add, name="values_add"),
    path(f"{DEFINITION}/values/status", definitions.value_status, name="value_status"),
    path(f"{DEFINITION}/usage", definitions.value_usage, name="value_usage"),
    path(f"{DEFINITION}/help", definitions.help_text_edit, name="help_text_edit"),
    path("objects/", objects.object_search, name="object_search"),
    path("objects/by-app-id/<str:app_id>/", objects.object_by_app_id, name="object_by_app_id"),
    path(f"{OBJECT}/", objects.object_detail, name="object_detail"),
    path(f"{OBJECT}/assign", objects.assignment_pick, name="assignment_pick"),
    path(f"{ASSIGNMENT}/", objects.assignment_edit, name="assignment_edit"),
    path(f"{ASSIGNMENT}/remove", objects.assignment_remove, name="assignment_remove"),
    path("find/", find.find_by_value, name="find_by_value"),
    path("find/export.<str:extension>", find.find_export, name="find_export"),
    path("export/", find.export_page, name="export_page"),
    path("export/all.<str:extension>", find.export_all, name="export_all"),
    path("export/sets/<str:name>.<str:extension>", find.export_set, name="export_set"),
    path("coverage/", coverage.coverage_report, name="coverage_report"),
    path("coverage/gaps.csv", coverage.coverage_export, name="coverage_export"),
    path("agents/", agents.agent_board, name="agent_board"),
    path("agents/move", agents.agent_move, name="agent_move"),
    path("bulk/", bulk.bulk_jobs, name="bulk_jobs"),
    path("bulk/new", bulk.bulk_new, name="bulk_new"),
    path("bulk/template.csv", bulk.bulk_template, name="bulk_template"),
    path("bulk/upload", bulk.bulk_upload, name="bulk_upload"),
    path("bulk/jobs/<uuid:job_id>/", bulk.bulk_job, name="bulk_job"),
    path("bulk/jobs/<uuid:job_id>/report.csv", bulk.bulk_report, name="bulk_report"),
    path("bulk/jobs/<uuid:job_id>/<str:action>", bulk.bulk_job_action, name="bulk_job_action"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/export.csv", audit.audit_export_csv, name="audit_export_csv"),
    path("audit/export.json", audit.audit_export_json, name="audit_export_json"),
    path("audit/entra", audit.entra_feed, name="entra_feed"),
    path("audit/<int:seq>", audit.audit_detail, name="audit_detail"),
    path(
        "audit/object/<str:target_type>/<str:target_id>",
        audit.audit_timeline,
        name="audit_timeline",
    ),
]
