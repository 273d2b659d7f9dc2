"""Sign-in with Entra (auth code flow with PKCE) and sign-out."""

from __future__ import annotations

import logging
import unicodedata
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from portal.auth.msal_app import forget_tokens, redeem_code, remember_tokens, start_flow
from portal.auth.oidc import InvalidIdToken, provider_metadata, verify_id_token
from portal.auth.signals import signed_in
from portal.graph import SignInRequired

logger = logging.getLogger(__name__)

FLOWS_KEY = "auth_flows"
# Several tabs may start a sign-in at once; each flow is keyed by its state.
MAX_PENDING_FLOWS = 5


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """A same-site path to return to after sign-in; anything else becomes "/"."""
    if (
        candidate
        and candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        # A real address holds no raw control character (a CR or LF would end the header).
        and not any(unicodedata.category(char).startswith("C") for char in candidate)
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return "/"


def _error(request: HttpRequest, title: str, detail: str, *, status: int) -> HttpResponse:
    return render(
        request, "auth/sign_in_error.html", {"title": title, "detail": detail}, status=status
    )


@login_not_required
@require_GET
def sign_in(request: HttpRequest) -> HttpResponse:
    """The landing page for anonymous visitors."""
    next_url = safe_next(request, request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url)
    return render(request, "auth/sign_in.html", {"next": next_url})


@login_not_required
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Starts the auth code flow and sends the browser to the identity provider."""
    next_url = safe_next(request, request.GET.get("next"))
    redirect_uri = settings.PORTAL_REDIRECT_URI or request.build_absolute_uri(
        reverse("auth:callback")
    )
    try:
        flow = start_flow(redirect_uri)
    except (requests.RequestException, ValueError, KeyError) as exc:
        logger.warning("could not start sign-in: %s", type(exc).__name__)
        return _error(
            request,
            "The sign-in service is not answering",
            "The portal could not reach Microsoft's sign-in service. Try again in a minute.",
            status=503,
        )
    flows: dict[str, Any] = request.session.get(FLOWS_KEY, {})
    while len(flows) >= MAX_PENDING_FLOWS:
        flows.pop(next(iter(flows)))
    flows[flow["state"]] = {"flow": flow, "next": next_url}
    request.session[FLOWS_KEY] = flows
    return HttpResponseRedirect(flow["auth_uri"])


@login_not_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Where the identity provider sends the browser back with a code (or an error)."""
    flows: dict[str, Any] = request.session.get(FLOWS_KEY, {})
    # Popping makes the flow single-use: a replayed or forged callback finds nothing.
    pending = flows.pop(request.GET.get("state", ""), None)
    request.session[FLOWS_KEY] = flows
    if pending is None:
        return _error(
            request,
            "This sign-in has expired",
            "The sign-in was started in another browser, took too long, or was already "
            "completed. Start again.",
            status=400,
        )
    if "error" in request.GET:
        return _error(
            request,
            "Microsoft did not sign you in",
            request.GET.get("error_description") or request.GET["error"],
            status=400,
        )
    flow = pending["flow"]
    try:
        result, cache = redeem_code(flow, request.GET.dict())
    except (ValueError, RuntimeError) as exc:
        logger.warning("sign-in callback rejected by MSAL: %s", exc)
        return _error(
            request, "This sign-in could not be completed", "Start the sign-in again.", status=400
        )
    except requests.RequestException:
        return _error(
            request,
            "The sign-in service is not answering",
            "Microsoft's sign-in service did not answer. Try again in a minute.",
            status=503,
        )
    if "error" in result:
        logger.info("token endpoint refused the code: %s", result["error"])
        return _error(
            request,
            "Microsoft did not sign you in",
            result.get("error_description") or result["error"],
            status=400,
        )
    try:
        claims = verify_id_token(result.get("id_token", ""), raw_nonce=flow["nonce"])
    except (InvalidIdToken, requests.RequestException) as exc:
        logger.warning("id_token rejected: %s", exc)
        return _error(
            request,
            "This sign-in could not be verified",
            "The identity token Microsoft returned did not pass the portal's checks. "
            "Start the sign-in again; if it keeps failing, tell your administrator.",
            status=400,
        )
    user = authenticate(request, id_token_claims=claims)
    if user is None:
        return _error(
            request, "Your account is disabled in this portal", "Ask an administrator.", status=403
        )
    login(request, user)  # rotates the session key
    try:
        remember_tokens(request.session, cache, tenant_id=claims["tid"], object_id=claims["oid"])
    except SignInRequired as exc:
        logout(request)
        return _error(request, "This sign-in could not be completed", exc.message, status=400)
    request.session["login_hint"] = claims.get("login_hint", "")
    # Saved now, not after the response: whoever hears `signed_in` may use the tokens.
    request.session.save()
    signed_in.send(sender=callback, tenant_id=claims["tid"], object_id=claims["oid"])
    return redirect(pending["next"])


@login_not_required
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Ends the portal session (tokens included), then Microsoft's."""
    login_hint = request.session.get("login_hint", "")
    forget_tokens(request.session)
    logout(request)
    signed_out = request.build_absolute_uri(reverse("auth:signed_out"))
    try:
        end_session = provider_metadata().end_session_endpoint
    except (requests.RequestException, ValueError, KeyError):
        end_session = None
    if not end_session:
        return redirect("auth:signed_out")
    query = {"post_logout_redirect_uri": settings.PORTAL_POST_LOGOUT_REDIRECT_URI or signed_out}
    if login_hint:
        query["logout_hint"] = login_hint
    return HttpResponseRedirect(f"{end_session}?{urlencode(query)}")


@login_not_required
@require_GET
def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "auth/signed_out.html")
