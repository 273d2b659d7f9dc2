"""The HTML the browser sees: sign-in, form_post hand-off, errors, sign-out, control page.

No JavaScript anywhere. Every value that reaches the markup goes through `esc`, because
query parameters, user names and fault rules can all be hostile.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.tenant import demo
from emulator.tenant.rolecatalog import role_name

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f3f2f1;color:#201f1e}
main{max-width:760px;margin:2rem auto;background:#fff;padding:2rem 2.5rem;border-radius:4px;
box-shadow:0 2px 6px rgba(0,0,0,.15)}
h1{font-size:1.5rem;font-weight:600;margin-top:0}
label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input[type=text],input[type=password]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1rem;padding:.55rem 1.6rem;font-size:1rem;background:#0067b8;color:#fff;
border:0;border-radius:2px;cursor:pointer}
table{border-collapse:collapse;width:100%;margin-top:.6rem;font-size:.92rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e1dfdd;vertical-align:top}
.error{background:#fde7e9;border-left:4px solid #a80000;padding:.6rem .8rem;margin:1rem 0}
.note{color:#605e5c;font-size:.9rem}
code{background:#f3f2f1;padding:0 .25rem}
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _hidden_fields(fields: Mapping[str, str]) -> str:
    return "".join(
        f"<input type=hidden name='{esc(name)}' value='{esc(value)}'>"
        for name, value in fields.items()
    )


def _role_label(grant: demo.RoleGrant) -> str:
    scope = "tenant-wide" if grant.scope == demo.TENANT_SCOPE else f"scope {grant.scope}"
    return f"{role_name(grant.role_id)} ({scope})"


@dataclass(frozen=True, slots=True)
class SignInView:
    action: str
    app_name: str
    scopes: tuple[str, ...]
    params: Mapping[str, str]  # the authorize request, carried through the form
    username: str
    error: str | None
    account_links: Mapping[str, str]  # UPN -> authorize URL with that login_hint


def sign_in_page(view: SignInView) -> str:
    error = f"<div class=error role=alert>{esc(view.error)}</div>" if view.error else ""
    scopes = ", ".join(view.scopes)
    rows = "".join(
        "<tr>"
        f"<td><a href='{esc(view.account_links[account.user_principal_name])}'>"
        f"{esc(account.display_name)}</a></td>"
        f"<td><code>{esc(account.user_principal_name)}</code></td>"
        f"<td>{'<br>'.join(esc(_role_label(grant)) for grant in account.roles)}</td>"
        "</tr>"
        for account in demo.DEMO_ACCOUNTS
    )
    body = f"""
<h1>Sign in to {esc(demo.TENANT_DISPLAY_NAME)}</h1>
<p class=note><strong>{esc(view.app_name)}</strong> asks for: {esc(scopes)}</p>
{error}
<form method=post action='{esc(view.action)}'>
{_hidden_fields(view.params)}
<label for=username>Email or user name</label>
<input type=text id=username name=username autocomplete=username value='{esc(view.username)}'
 required autofocus>
<label for=password>Password</label>
<input type=password id=password name=password autocomplete=current-password required>
<button type=submit>Sign in</button>
</form>
<h2>Demo accounts</h2>
<p class=note>This is a local emulator of Microsoft Entra ID. Every account, including the
ordinary users of the directory, uses the demo password. Pick an account to fill in its name.</p>
<table><thead><tr><th>Name</th><th>User name</th><th>Directory roles</th></tr></thead>
<tbody>{rows}</tbody></table>
"""
    return _page("Sign in", body)


def form_post_page(redirect_uri: str, fields: Mapping[str, str]) -> str:
    body = f"""
<h1>Signed in</h1>
<p>Continue to return to the application.</p>
<form method=post action='{esc(redirect_uri)}'>
{_hidden_fields(fields)}
<button type=submit>Continue</button>
</form>
"""
    return _page("Continue", body)


def error_page(title: str, description: str) -> str:
    body = f"""
<h1>{esc(title)}</h1>
<div class=error role=alert>{esc(description)}</div>
<p class=note>The emulator does not redirect to an address that is not registered for the
application.</p>
"""
    return _page(title, body)


def signed_out_page(unregistered_uri: str | None) -> str:
    note = ""
    if unregistered_uri:
        note = (
            "<p class=note>The post-logout address "
            f"<code>{esc(unregistered_uri)}</code> is not registered, so you stay here.</p>"
        )
    return _page(
        "Signed out", f"<h1>You have signed out</h1><p>You can close this window.</p>{note}"
    )


@dataclass(frozen=True, slots=True)
class ControlView:
    state: Mapping[str, Any]
    authority: str
    graph_url: str
    ca_path: str
    requests: Iterable[Mapping[str, Any]]


def _setting_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def control_page(view: ControlView) -> str:
    counts = "".join(
        f"<tr><th>{esc(name)}</th><td>{esc(value)}</td></tr>"
        for name, value in view.state["counts"].items()
    )
    accounts = "".join(
        f"<tr><td>{esc(a.display_name)}</td><td><code>{esc(a.user_principal_name)}</code></td>"
        f"<td>{'<br>'.join(esc(_role_label(g)) for g in a.roles)}</td></tr>"
        for a in demo.DEMO_ACCOUNTS
    )
    recent = "".join(
        f"<tr><td>{esc(r.get('seq'))}</td><td>{esc(r.get('method'))}</td>"
        f"<td><code>{esc(r.get('path'))}</code></td><td>{esc(r.get('status'))}</td>"
        f"<td>{esc(r.get('upn'))}</td></tr>"
        for r in view.requests
    )
    settings = "".join(
        f"<tr><th><code>{esc(name)}</code></th><td><code>{esc(_setting_text(value))}</code></td></tr>"
        for name, value in view.state["settings"].items()
    )
    faults = view.state["faults"]
    rules = (
        "".join(f"<li><code>{esc(rule)}</code></li>" for rule in faults["rules"]) or "<li>none</li>"
    )
    body = f"""
<h1>Entra and Graph emulator</h1>
<table>
<tr><th>Tenant</th><td><code>{esc(view.state["tenant_id"])}</code> ({esc(demo.TENANT_DOMAIN)})</td></tr>
<tr><th>Authority</th><td><code>{esc(view.authority)}</code></td></tr>
<tr><th>Graph</th><td><code>{esc(view.graph_url)}</code></td></tr>
<tr><th>CA certificate</th><td><code>{esc(view.ca_path)}</code></td></tr>
<tr><th>Seed</th><td>{esc(view.state["seed"])}</td></tr>
</table>
<h2>State</h2><table>{counts}</table>
<form method=post action='/_emulator/reset'><button type=submit>Reset to seed</button></form>
<h2>Faults</h2>
<table>
<tr><th>Latency</th><td>{esc(faults["latency_ms"])} ms</td></tr>
<tr><th>429 rate</th><td>{esc(faults["fault_rate_429"])}</td></tr>
<tr><th>5xx rate</th><td>{esc(faults["fault_rate_5xx"])}</td></tr>
<tr><th>Stall rate</th><td>{esc(faults["fault_rate_stall"])} ({esc(faults["stall_ms"])} ms)</td></tr>
<tr><th>Drop rate</th><td>{esc(faults["fault_rate_drop"])}</td></tr>
</table>
<p>Rules:</p><ul>{rules}</ul>
<h2>Throttling and consistency</h2>
<table>
<tr><th>Write quota</th><td>{esc(_quota_label(view.state["throttling"]["write_quota"]))}</td></tr>
<tr><th>Filter index lag</th><td>{esc(view.state["index"]["lag_seconds"])} s</td></tr>
<tr><th>Writes logged</th><td>{esc(view.state["writes"])}</td></tr>
</table>
<h2>Settings</h2>
<p class=note>Change them with <code>POST /_emulator/settings</code>; a reset restores them.</p>
<table>{settings}</table>
<h2>Demo accounts</h2>
<p class=note>Password: the demo password for every account.</p>
<table><thead><tr><th>Name</th><th>User name</th><th>Directory roles</th></tr></thead>
<tbody>{accounts}</tbody></table>
<h2>Recent requests</h2>
<table><thead><tr><th>#</th><th>Method</th><th>Path</th><th>Status</th><th>User</th></tr></thead>
<tbody>{recent}</tbody></table>
"""
    return _page("Emulator control", body)


def _quota_label(quota: dict[str, Any] | None) -> str:
    if quota is None:
        return "off"
    return f"{quota['limit']} writes per {quota['window_seconds']:g} s per app and tenant"
