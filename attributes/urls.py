from __future__ import annotations

from django.urls import path

from attributes.views import home

app_name = "attributes"

urlpatterns = [
    path("", home.home, name="home"),
    path("me/refresh-roles", home.refresh_roles, name="refresh_roles"),
]
