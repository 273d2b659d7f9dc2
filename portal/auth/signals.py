"""Signals other apps listen to, so that portal.auth never imports them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once a sign-in's tokens are stored in its session and the session is saved, with
# `tenant_id` and `object_id`: work waiting for that person's sign-in can go on.
signed_in = Signal()
