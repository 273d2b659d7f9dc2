"""Sessions indexed by the Entra account whose token cache they hold (portal.auth.sessions).

Sign-in through MSAL and the emulator fills the index; sign-out, expiry and key rotation
leave nothing behind in it; `live_sessions_of` finds a person's token caches newest first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session as DjangoSession
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from portal.auth.msal_app import ACCOUNT_KEY, CACHE_KEY, OBJECT_KEY, TENANT_KEY
from portal.auth.sessions import live_sessions_of
from portal.models import PortalSession, User
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

SignedIn = Callable[[str], Client]
ADA = next(a for a in demo.DEMO_ACCOUNTS if a.user_principal_name.startswith("ada"))
LEE = next(a for a in demo.DEMO_ACCOUNTS if a.user_principal_name.startswith("lee"))


def _keys_of(object_id: str, **kwargs: int) -> list[str | None]:
    return [s.session_key for s in live_sessions_of(demo.TENANT_ID, object_id, **kwargs)]


def test_sign_in_indexes_the_session_by_the_persons_entra_ids(signed_in: SignedIn) -> None:
    client = signed_in(ADA.user_principal_name)
    [session] = live_sessions_of(demo.TENANT_ID, ADA.object_id)
    assert session.session_key == client.session.session_key
    assert session[CACHE_KEY]
    assert session[ACCOUNT_KEY]
    assert (session[TENANT_KEY], session[OBJECT_KEY]) == (demo.TENANT_ID, ADA.object_id)
    row = PortalSession.objects.get(session_key=session.session_key)
    assert (row.tenant_id, row.object_id) == (demo.TENANT_ID, ADA.object_id)


def test_newest_first_and_only_that_persons(signed_in: SignedIn) -> None:
    first = signed_in(ADA.user_principal_name).session.session_key
    signed_in(LEE.user_principal_name)
    second = signed_in(ADA.user_principal_name).session.session_key
    assert _keys_of(ADA.object_id) == [second, first]
    assert _keys_of(ADA.object_id, limit=1) == [second]
    assert len(_keys_of(LEE.object_id)) == 1
    assert live_sessions_of(demo.TENANT_ID, "") == []
    assert live_sessions_of("another-tenant", ADA.object_id) == []


def test_sign_out_and_expiry_take_sessions_out(signed_in: SignedIn) -> None:
    signed_in(ADA.user_principal_name).post("/auth/sign-out")
    assert _keys_of(ADA.object_id) == []
    assert not PortalSession.objects.filter(object_id=ADA.object_id).exists()
    expiring = signed_in(ADA.user_principal_name).session.session_key
    PortalSession.objects.filter(session_key=expiring).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert _keys_of(ADA.object_id) == []


def test_a_session_without_tokens_is_not_indexed(emu: EmulatorProcess) -> None:
    user = User.objects.create(tenant_id=demo.TENANT_ID, object_id=ADA.object_id)
    signed_in_without_tokens = Client()
    signed_in_without_tokens.force_login(user)
    mid_sign_in = Client(HTTP_HOST="localhost")
    mid_sign_in.get("/auth/sign-in/microsoft")
    assert PortalSession.objects.count() == 2
    assert set(PortalSession.objects.values_list("tenant_id", "object_id")) == {("", "")}
    assert _keys_of(ADA.object_id) == []


def test_the_pre_sign_in_session_is_gone_after_the_key_rotates(emu: EmulatorProcess) -> None:
    client = Client(HTTP_HOST="localhost")
    client.get("/auth/sign-in/microsoft")
    before = client.session.session_key
    sign_in(client, emu, ADA.user_principal_name)
    assert _keys_of(ADA.object_id) == [client.session.session_key]
    assert not PortalSession.objects.filter(session_key=before).exists()


def test_a_refreshed_token_cache_is_saved_and_stays_indexed(
    emu: EmulatorProcess, signed_in: SignedIn
) -> None:
    client = signed_in(ADA.user_principal_name)
    session = client.session
    cache = json.loads(session[CACHE_KEY])
    for token in cache["AccessToken"].values():
        token["expires_on"] = token["extended_expires_on"] = "1000"
    session[CACHE_KEY] = stale = json.dumps(cache)
    session.save()
    assert client.get("/").status_code == 200
    [indexed] = live_sessions_of(demo.TENANT_ID, ADA.object_id)
    assert indexed[CACHE_KEY] != stale


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_live_sessions_and_indexes_their_token_caches() -> None:
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([("portal", "0001_initial")])
        user = User.objects.create(tenant_id=demo.TENANT_ID, object_id=ADA.object_id)
        later = timezone.now() + timedelta(hours=1)
        old = DjangoSessionStore()
        signed_in_data = {"_auth_user_id": str(user.pk), CACHE_KEY: "{}", ACCOUNT_KEY: "a.b"}
        rows = {
            "with-tokens": (signed_in_data, later),
            "anonymous": ({"auth_flows": {}}, later),
            "expired": (signed_in_data, timezone.now() - timedelta(seconds=1)),
        }
        for key, (data, expires) in rows.items():
            DjangoSession.objects.create(
                session_key=key, session_data=old.encode(data), expire_date=expires
            )
        executor = MigrationExecutor(connection)
        executor.migrate([("portal", "0002_entra_indexed_sessions")])

        assert sorted(PortalSession.objects.values_list("session_key", flat=True)) == [
            "anonymous",
            "with-tokens",
        ]
        [moved] = live_sessions_of(demo.TENANT_ID, ADA.object_id)
        assert moved.session_key == "with-tokens"
        assert moved["_auth_user_id"] == str(user.pk)
        assert (moved[TENANT_KEY], moved[OBJECT_KEY]) == (demo.TENANT_ID, ADA.object_id)
        anonymous = PortalSession.objects.get(session_key="anonymous")
        assert anonymous.get_decoded() == {"auth_flows": {}}
        assert not DjangoSession.objects.exists()
    finally:
        # Later tests in this process need every table of the latest migrations.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
