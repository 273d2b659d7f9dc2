"""Security review (issue 14), item 4: no address the portal redirects to can be chosen to
leave the site. Every place that takes a return address is fed the same table of hostile
variants, and where the browser would land (read as a browser reads a Location header) is
the portal itself.

The places: sign-in's `next` (kept through the identity provider and used after the
callback, and used at once when already signed in), the landing page's link, the address
htmx reports for a session that expired (HX-Current-URL), sign-out (which takes none and
must ignore one), the agent board's `back`, and the attribute picker's `attribute`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.test import Client

from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from tests.html import Html

pytestmark = pytest.mark.django_db

SignedIn = Callable[[str], Client]
PORTAL = "http://localhost"

HOSTILE = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example/x",
    "///evil.example/x",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "https:evil.example",
    "http:/evil.example",
    "https://localhost@evil.example/",
    "https://evil.example\\@localhost/",
    "http://localhost.evil.example/",
    "//localhost@evil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\r\nSet-Cookie: planted=1",
    "\x00//evil.example",
]

_DROPPED = re.compile(r"[\t\n\r]")
_TRIMMED = "".join(chr(c) for c in range(0x21))


def lands_on(location: str, base: str = f"{PORTAL}/auth/callback") -> tuple[str, str]:
    """Where a browser goes for this Location, as (scheme, host): it drops tabs and
    newlines anywhere, trims control characters and spaces, and reads "\\" as "/"."""
    cleaned = _DROPPED.sub("", location).strip(_TRIMMED).replace("\\", "/")
    target = urlsplit(urljoin(base, cleaned))
    return target.scheme, target.netloc


def assert_stays(location: str) -> None:
    assert "\n" not in location
    assert "\r" not in location
    assert lands_on(location) == ("http", "localhost"), location


def test_lands_on_reads_locations_as_a_browser_does() -> None:
    assert lands_on("/sets/") == ("http", "localhost")
    assert lands_on("/\\evil.example") == ("http", "evil.example")
    assert lands_on("/\t/evil.example") == ("http", "evil.example")
    assert lands_on(" https://evil.example/") == ("https", "evil.example")
    assert lands_on("javascript:alert(1)") == ("javascript", "")


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_never_sends_the_browser_off_the_site(emu: EmulatorProcess, target: str) -> None:
    client = Client(HTTP_HOST="localhost")
    # The landing page's own link carries only a safe next.
    landing = Html(client.get("/auth/sign-in", {"next": target}))
    link = landing.by_role("link", "Sign in with Microsoft")[0].get("href") or ""
    [kept] = parse_qs(urlsplit(link).query).get("next", ["/"])
    assert_stays(kept)
    # Through the identity provider and back.
    start = client.get("/auth/sign-in/microsoft", {"next": target})
    assert start.status_code == 302
    callback = urlsplit(emu.complete_sign_in(start["Location"], demo.ADA.user_principal_name))
    finished = client.get(f"{callback.path}?{callback.query}")
    assert finished.status_code == 302
    assert_stays(finished["Location"])
    # Already signed in, the landing page redirects at once.
    again = client.get("/auth/sign-in", {"next": target})
    assert again.status_code == 302
    assert_stays(again["Location"])
    # Sign-out takes no return address: one given is ignored.
    signed_out = client.post(f"/auth/sign-out?next={target}", {"next": target})
    assert signed_out.status_code == 302
    query = parse_qs(urlsplit(signed_out["Location"]).query)
    assert query["post_logout_redirect_uri"] == [f"{PORTAL}/auth/signed-out"]
    assert target not in signed_out["Location"]


@pytest.mark.parametrize("target", HOSTILE)
def test_an_expired_htmx_request_is_sent_to_sign_in_and_back_only_on_the_site(
    emu: EmulatorProcess, target: str
) -> None:
    client = Client(HTTP_HOST="localhost")
    response = client.get("/sets/", headers={"HX-Request": "true", "HX-Current-URL": target})
    assert response.status_code == 200
    redirect = response["HX-Redirect"]
    assert_stays(redirect)
    [back] = parse_qs(urlsplit(redirect).query)["next"]
    assert_stays(back)


def _move_form(client: Client) -> dict[str, str]:
    board = Html(client.get("/agents/"))
    form = board.css("form.move-form")[0]
    data = {str(f.get("name")): f.get("value") or "" for f in form.css("input[type=hidden]")}
    [to_status] = [
        o.get("value") or ""
        for o in form.css("select[name=to_status] option")
        if o.get("value") not in {"", data.get("from_status")}
    ][:1]
    held = form.css("select[name=from_status] option")
    return {**data, "from_status": held[0].get("value") or "", "to_status": to_status}


@pytest.mark.django_db(transaction=True)  # a move is audited, and audit intent is committed first
@pytest.mark.parametrize(
    "back",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "next=//evil.example&status=HR_Approved",
        "status=HR_Approved&attribute=//evil.example",
    ],
)
def test_the_agent_boards_back_keeps_the_board_and_its_filters_only(
    signed_in: SignedIn, back: str
) -> None:
    ada = signed_in(demo.ADA.user_principal_name)
    data = {**_move_form(ada), "reason": "security review", "back": back}
    response = ada.post("/agents/move", data)
    assert response.status_code == 302, Html(response).text()[:2000]
    assert_stays(response["Location"])
    assert urlsplit(response["Location"]).path == "/agents/"
    assert "next" not in parse_qs(urlsplit(response["Location"]).query)


@pytest.mark.parametrize("attribute", ["//evil.example_x", "https://evil.example/_x", "\\\\evil_x"])
def test_the_attribute_picker_redirects_within_the_object(
    signed_in: SignedIn, attribute: str
) -> None:
    ada = signed_in(demo.ADA.user_principal_name)
    response = ada.get(f"/objects/user/{demo.REY.object_id}/assign", {"attribute": attribute})
    assert response.status_code in {302, 404}
    if response.status_code == 302:
        assert_stays(response["Location"])
        assert response["Location"].startswith(f"/objects/user/{demo.REY.object_id}/attributes/")
