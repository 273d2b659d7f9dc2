from __future__ import annotations

from django.urls import include, path

from portal import views

handler400 = "portal.views.bad_request"
handler500 = "portal.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("auth/", include("portal.auth.urls")),
    path("", include("attributes.urls")),
]
