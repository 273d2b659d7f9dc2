"""The audit log's screens: the list and its filters, paging, record detail, timelines,
and who may see what."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.http import HttpResponse
from django.test import Client

from attributes.models import Action, AuditRecord, Outcome, TargetType
from tests.attributes.audit_people import (
    AUDITOR,
    LEAD,
    LEE_ID,
    NO_ROLES,
    OTHER_USER_ID,
    T0,
    TENANT_READER,
    USER_ID,
    record,
    seed,
    sign_in,
)
from tests.html import Html

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

Log = list[AuditRecord]
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "audit-results"}


def seqs(response: HttpResponse) -> list[int]:
    html = response.content.decode()
    return [
        int(s) for s in re.findall(r'data-testid="(?:audit|timeline)-row" data-seq="(\d+)"', html)
    ]


def errors_at(response: HttpResponse, field: str) -> str:
    html = response.content.decode()
    match = re.search(
        rf'<div id="errors-{field}" data-testid="errors-{field}"[^>]*>(.*?)</div>', html, re.S
    )
    assert match, f"no error container for {field}"
    return unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


@pytest.fixture
def log() -> Log:
    """A small log with one record per interesting difference, oldest first."""
    return seed(
        record(),  # 1: Ada changes Uma's Engineering_Project
        record(  # 2: Lee, a Marketing value, failed
            created_at=T0 + timedelta(hours=1),
            actor_object_id=LEE_ID,
            actor_upn="lee.lead@contoso.example",
            attribute_set="Marketing",
            attribute="Campaign",
            outcome=Outcome.FAILED,
            error_code="Authorization_RequestDenied",
            error_message="Insufficient privileges",
            reason="wrong set",
        ),
        record(  # 3: a set created
            created_at=T0 + timedelta(days=1),
            action=Action.SET_CREATED,
            target_type=TargetType.ATTRIBUTE_SET,
            target_id="Engineering",
            target_name="Engineering",
            attribute="",
            before=None,
            after={"description": "Engineering data", "maxAttributesPerSet": 25},
            reason="new team",
        ),
        record(  # 4: a definition in Engineering
            created_at=T0 + timedelta(days=2),
            action=Action.DEFINITION_CREATED,
            target_type=TargetType.DEFINITION,
            target_id="Engineering_CostCenter",
            target_name="CostCenter",
            attribute="CostCenter",
            before=None,
            after={"type": "String"},
            reason="finance asked",
        ),
        record(  # 5: another user, in a bulk job, lower-case set name
            created_at=T0 + timedelta(days=3),
            target_id=OTHER_USER_ID,
            target_name="Otto Other",
            attribute_set="engineering",
            action=Action.ASSIGNMENT_SET,
            job_id="job-7",
            reason="bulk import from HR",
        ),
        record(  # 6: pending, no set
            created_at=T0 + timedelta(days=4),
            action=Action.HELP_TEXT_CHANGED,
            target_type=TargetType.DEFINITION,
            target_id="Security_Clearance",
            target_name="Clearance",
            attribute_set="Security",
            attribute="Clearance",
            outcome=Outcome.PENDING,
            reason="clarify wording",
        ),
    )


# Access -------------------------------------------------------------------------------


def test_the_log_reader_sees_every_record_newest_first(client: Client, log: Log) -> None:
    response = sign_in(client, AUDITOR).get("/audit/")
    assert response.status_code == 200
    assert seqs(response) == [6, 5, 4, 3, 2, 1]
    assert b'data-testid="scope-note"' not in response.content
    assert b"Records are kept until" in response.content


def test_a_tenant_wide_attribute_role_sees_every_record(client: Client, log: Log) -> None:
    response = sign_in(client, TENANT_READER).get("/audit/")
    assert seqs(response) == [6, 5, 4, 3, 2, 1]
    # Not a log reader: Entra's feed is offered, disabled, with the reason.
    assert b'data-testid="entra-tab-disabled"' in response.content
    assert (
        b"Needs the Attribute Log Reader or Attribute Log Administrator role." in response.content
    )


def test_a_set_scoped_lead_sees_only_records_of_their_set(client: Client, log: Log) -> None:
    response = sign_in(client, LEAD).get("/audit/")
    assert response.status_code == 200
    # Record 5's set is spelled "engineering": sets compare case-insensitively.
    assert seqs(response) == [5, 4, 3, 1]
    assert "Your roles cover the attribute set Engineering" in Html(response).text()


def test_a_set_scoped_lead_cannot_widen_the_scope_with_a_filter(client: Client, log: Log) -> None:
    response = sign_in(client, LEAD).get("/audit/", {"set": "Marketing"})
    assert response.status_code == 200
    assert seqs(response) == []


def test_someone_without_attribute_roles_gets_the_no_roles_page(client: Client, log: Log) -> None:
    client = sign_in(client, NO_ROLES)
    for url in (
        "/audit/",
        "/audit/1",
        "/audit/export.csv",
        "/audit/entra",
        f"/audit/object/user/{USER_ID}",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert b'data-testid="no-roles"' in response.content, url


def test_signed_out_people_are_sent_to_sign_in(client: Client, log: Log) -> None:
    response = client.get("/audit/")
    assert response.status_code == 302
    assert "/auth/" in response["Location"]


# Filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "lee.lead@contoso.example"}, [2]),
        ({"actor": "LEE.LEAD@Contoso.Example"}, [2]),
        ({"actor": LEE_ID}, [2]),
        ({"actor": LEE_ID.upper()}, [2]),
        ({"target": OTHER_USER_ID}, [5]),
        ({"target": "otto other"}, [5]),
        ({"target": "Engineering_CostCenter"}, [4]),
        ({"set": "engineering"}, [5, 4, 3, 1]),
        ({"set": "Marketing", "attribute": "campaign"}, [2]),
        ({"attribute": "Project"}, [5, 1]),
        ({"attribute": "Engineering_CostCenter"}, [4]),
        ({"action": "set_created"}, [3]),
        ({"outcome": "failed"}, [2]),
        ({"outcome": "pending"}, [6]),
        ({"since": "2026-03-02", "until": "2026-03-03"}, [4, 3]),
        ({"since": "2026-03-01T09:30"}, [6, 5, 4, 3, 2]),
        ({"until": "2026-03-01T09:00"}, [1]),
        ({"until": "2026-03-01 10:00:00Z"}, [2, 1]),
        ({"job": "job-7"}, [5]),
        ({"q": "HR"}, [5]),
        ({"q": "wording"}, [6]),
        ({"set": "Engineering", "action": "assignment_changed", "since": "2026-03-01"}, [1]),
        ({"actor": "nobody@contoso.example"}, []),
    ],
)
def test_each_filter_narrows_the_list(
    client: Client,
    log: Log,
    params: dict[str, str],
    expected: list[int],
) -> None:
    response = sign_in(client, AUDITOR).get("/audit/", params)
    assert response.status_code == 200
    assert seqs(response) == expected
    if not expected:
        assert b"No record matches these filters." in response.content


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"since": "yesterday"}, "since", "Enter a date like 2026-03-31"),
        ({"until": "2026-02-30"}, "until", "“2026-02-30” is neither"),
        ({"since": "2026-03-05", "until": "2026-03-01"}, "until", "“To” is before “From”"),
        ({"action": "explode"}, "action", "“explode” is not one of the actions"),
        ({"outcome": "maybe"}, "outcome", "“maybe” is not one of the outcomes"),
        ({"set": "x" * 65}, "set", "at most 64 characters"),
        ({"q": "a\x00b"}, "q", "Null characters are not allowed"),
        ({"since": "2026-03-01\x00"}, "since", "is neither"),
    ],
)
def test_bad_filter_input_gets_a_message_at_its_field(
    client: Client,
    log: Log,
    params: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = sign_in(client, AUDITOR).get("/audit/", params)
    assert response.status_code == 400
    assert message in errors_at(response, field)
    assert b'data-testid="filter-errors"' in response.content
    assert seqs(response) == []


def test_htmx_filtering_swaps_the_results_and_puts_errors_at_the_fields(
    client: Client,
    log: Log,
) -> None:
    client = sign_in(client, AUDITOR)
    good = client.get("/audit/", {"outcome": "failed"}, **HTMX)
    assert good.status_code == 200
    html = good.content.decode()
    assert html.lstrip().startswith('<div id="audit-results">')
    assert "<form" not in html
    assert seqs(good) == [2]
    assert 'id="errors-since" data-testid="errors-since" hx-swap-oob="true"></div>' in html

    bad = client.get("/audit/", {"since": "soon"}, **HTMX)
    assert bad.status_code == 200  # the expected answer to typing: messages, no rows
    assert "“soon” is neither" in errors_at(bad, "since")
    assert 'hx-swap-oob="true"' in bad.content.decode()
    assert b'data-testid="filter-errors"' in bad.content
    assert seqs(bad) == []


def test_the_filter_form_works_without_javascript(client: Client, log: Log) -> None:
    html = sign_in(client, AUDITOR).get("/audit/", {"q": "bulk"}).content.decode()
    assert '<form method="get" action="/audit/"' in html
    assert 'name="q" value="bulk"' in html
    assert 'href="/audit/export.csv?q=bulk"' in html
    assert 'href="/audit/export.json?q=bulk"' in html


# Paging -------------------------------------------------------------------------------


def _walk(client: Client, url: str, params: dict[str, str], direction: str) -> list[list[int]]:
    pages = []
    response = client.get(url, params)
    while True:
        pages.append(seqs(response))
        html = unescape(response.content.decode())
        link = re.search(rf'data-testid="{direction}" href="\?([^"]+)"', html)
        if not link:
            return pages
        response = client.get(f"{url}?{link.group(1)}")
        assert response.status_code == 200


def test_keyset_pages_cover_every_record_once_both_ways(client: Client) -> None:
    # 130 records; many share a timestamp, so the seq tie-breaker matters.
    seed(*(record(created_at=T0 + timedelta(minutes=n // 7), reason=f"r{n}") for n in range(130)))
    seed(record(attribute_set="Marketing", reason="not me"))
    client = sign_in(client, AUDITOR)
    older = _walk(client, "/audit/", {"set": "Engineering"}, "older")
    assert [len(p) for p in older] == [50, 50, 30]
    flat = [s for page in older for s in page]
    assert flat == list(range(130, 0, -1))

    # And back again from the last page, newest first on every page.
    last = "&".join(f"{k}={v}" for k, v in {"set": "Engineering", "before": older[1][-1]}.items())
    response = client.get(f"/audit/?{last}")
    assert seqs(response) == older[2]
    newer = _walk(client, "/audit/", {"set": "Engineering", "before": str(older[1][-1])}, "newer")
    assert newer == [older[2], older[1], older[0]]


def test_the_pager_keeps_the_filters(client: Client) -> None:
    seed(*(record(reason=f"keep {n}") for n in range(55)))
    html = unescape(sign_in(client, AUDITOR).get("/audit/", {"q": "keep"}).content.decode())
    assert 'href="?q=keep&before=6"' in html
    assert 'data-testid="newer"' not in html


def test_a_broken_cursor_shows_the_first_page(client: Client, log: Log) -> None:
    client = sign_in(client, AUDITOR)
    for cursor in ("abc", "-3", "999999", "0"):
        response = client.get("/audit/", {"before": cursor})
        assert response.status_code == 200
        assert seqs(response) == [6, 5, 4, 3, 2, 1]


def test_htmx_paging_swaps_the_results(client: Client) -> None:
    seed(*(record() for _ in range(60)))
    response = sign_in(client, AUDITOR).get("/audit/", {"before": "11"}, **HTMX)
    assert seqs(response) == list(range(10, 0, -1))
    assert 'data-testid="newer" href="?after=10"' in response.content.decode()


# Detail -------------------------------------------------------------------------------


def test_the_detail_page_shows_every_field_and_the_diff(client: Client) -> None:
    (failed,) = seed(
        record(
            actor_ip="2001:db8::7",
            before={"value": ["Alpine", "Baltic"], "gone": 1, "same": True},
            after={"value": ["Baltic", "Caspian"], "new": "x", "same": True},
            outcome=Outcome.FAILED,
            graph_request_id="5f9a-request",
            error_code="Request_BadRequest",
            error_message="The value is not allowed",
            job_id="job-42",
            correlation_id="c0ffee",
            reason="quarterly review",
        )
    )
    response = sign_in(client, AUDITOR).get(f"/audit/{failed.seq}")
    assert response.status_code == 200
    html = unescape(response.content.decode())
    page = Html(response)
    shown = page.text()
    for text in (
        "ada.admin@contoso.example",
        "Ada Admin",
        "2001:db8::7",
        "c0ffee",
        "5f9a-request",
        "Request_BadRequest",
        "The value is not allowed",
        "job-42",
        "quarterly review",
        failed.entry_hash,
        failed.prev_hash,
        failed.outcome_hash,
    ):
        assert text in shown, text
    for link in (f"/audit/object/user/{USER_ID}", "/audit/?job=job-42"):
        assert page.css(f'a[href="{link}"]'), link
    changes = {
        row.one("th code").text(): row.css("td span.badge")[0].text()
        for row in page.by_role("row")
        if row.css("th[scope=row] code")
    }
    assert changes == {"gone": "removed", "new": "added", "same": "unchanged", "value": "changed"}
    assert 'Added: "Caspian".' in shown
    assert 'Removed: "Alpine".' in shown
    # Entra's log is offered to a log reader, loaded after the page.
    assert 'hx-get="/audit/1?entra=1"' in html


def test_an_unknown_record_is_404(client: Client, log: Log) -> None:
    assert sign_in(client, AUDITOR).get("/audit/999").status_code == 404


def test_a_record_outside_the_leads_sets_is_403_naming_the_role(client: Client, log: Log) -> None:
    client = sign_in(client, LEAD)
    assert client.get("/audit/5").status_code == 200
    refused = client.get("/audit/2")
    assert refused.status_code == 403
    text = Html(refused).text()
    assert "This is about the attribute set Marketing" in text
    assert "your roles cover the attribute set Engineering" in text
    assert "Attribute Log Reader" in text
    # A lead is no log reader: no Graph lookup is offered.
    assert "?entra=1" not in client.get("/audit/5").content.decode()


def test_a_record_of_no_set_is_for_tenant_wide_readers_only(client: Client) -> None:
    (unscoped,) = seed(record(attribute_set="", attribute=""))
    refused = sign_in(client, LEAD).get(f"/audit/{unscoped.seq}")
    assert refused.status_code == 403
    assert "This record is not about any attribute set" in Html(refused).text()
    assert sign_in(Client(), TENANT_READER).get(f"/audit/{unscoped.seq}").status_code == 200


def test_hostile_strings_are_rendered_escaped(client: Client) -> None:
    script = '<script>alert("x")</script>'
    rtl = "invoice\u202egpj.exe"
    (hostile,) = seed(
        record(
            actor_upn=f"{script}@contoso.example",
            actor_name='O\'Brien "Bob"',
            target_name=script,
            attribute_set="Engineering",
            attribute=rtl,
            before={script: "'quoted'"},
            after={script: rtl, "onload": '"><img src=x onerror=alert(1)>'},
            reason=f"{script} {rtl}",
            error_message=script,
        )
    )
    client = sign_in(client, AUDITOR)
    for url in ("/audit/", f"/audit/{hostile.seq}", f"/audit/object/user/{USER_ID}"):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, url
        # Text from the log is isolated, so an RTL override cannot reorder the page.
        assert re.search(r"<bdi>[^<]*invoice\u202egpj\.exe[^<]*</bdi>", html), url
    detail = client.get(f"/audit/{hostile.seq}").content.decode()
    assert 'data-testid="hidden-characters"' in detail
    assert "invoice\\u202egpj.exe" in detail  # written out in the warning and the diff
    assert "O&#x27;Brien &quot;Bob&quot;" in detail


# Timelines ----------------------------------------------------------------------------


def test_a_users_timeline_lists_their_records_with_before_and_after(
    client: Client, log: list
) -> None:  # type: ignore[type-arg]
    response = sign_in(client, AUDITOR).get(f"/audit/object/user/{USER_ID}")
    assert response.status_code == 200
    assert seqs(response) == [2, 1]
    html = unescape(response.content.decode())
    page = Html(response)
    assert "History of Uma User" in page.text()
    before_after = [
        (item.one(".audit-before").text(), item.one(".audit-after").text())
        for item in page.css("li[data-change]")
    ]
    assert ('"Alpine"', '"Baltic"') in before_after
    assert 'data-testid="includes-definitions"' not in html
    assert f'href="/audit/?target={USER_ID}">Filter in the audit log' in html


def test_a_sets_timeline_includes_its_definitions_and_says_so(client: Client, log: Log) -> None:
    response = sign_in(client, AUDITOR).get("/audit/object/attributeSet/Engineering")
    assert response.status_code == 200
    # The set itself (3) and its definition (4); not assignments to users (1, 5).
    assert seqs(response) == [4, 3]
    assert b'data-testid="includes-definitions"' in response.content
    assert b'href="/audit/?set=Engineering">Filter in the audit log' in response.content


def test_a_definitions_timeline(client: Client, log: Log) -> None:
    response = sign_in(client, AUDITOR).get("/audit/object/definition/Engineering_CostCenter")
    assert seqs(response) == [4]


def test_a_leads_timelines_stay_inside_their_sets(client: Client, log: Log) -> None:
    client = sign_in(client, LEAD)
    # Uma has an Engineering record (1) and a Marketing one (2): only the first shows.
    user = client.get(f"/audit/object/user/{USER_ID}")
    assert seqs(user) == [1]
    assert b'data-testid="scope-note"' in user.content
    assert seqs(client.get("/audit/object/attributeSet/engineering")) == [4, 3]
    refused = client.get("/audit/object/definition/Security_Clearance")
    assert refused.status_code == 403
    assert "the attribute set Security" in Html(refused).text()
    assert client.get("/audit/object/attributeSet/Marketing").status_code == 403


def test_timelines_page_with_a_keyset(client: Client) -> None:
    seed(*(record(created_at=T0 + timedelta(seconds=n // 3)) for n in range(75)))
    client = sign_in(client, AUDITOR)
    first = client.get(f"/audit/object/user/{USER_ID}")
    assert seqs(first) == list(range(75, 25, -1))
    link = re.search(r'data-testid="older" href="\?([^"]+)"', first.content.decode())
    assert link
    second = client.get(f"/audit/object/user/{USER_ID}?{unescape(link.group(1))}")
    assert seqs(second) == list(range(25, 0, -1))


def test_an_object_without_records_has_an_empty_timeline(client: Client, log: Log) -> None:
    response = sign_in(client, AUDITOR).get("/audit/object/servicePrincipal/0000-none")
    assert response.status_code == 200
    assert b"The portal has recorded no changes to this service principal." in response.content


def test_an_unknown_object_type_has_no_timeline(client: Client, log: Log) -> None:
    assert sign_in(client, AUDITOR).get("/audit/object/group/abc").status_code == 404


def test_the_list_links_rows_to_details_and_targets_to_timelines(client: Client, log: Log) -> None:
    html = sign_in(client, AUDITOR).get("/audit/").content.decode()
    assert 'href="/audit/4">#4</a>' in html
    assert 'href="/audit/object/definition/Engineering_CostCenter"' in html
    assert 'href="/audit/object/attributeSet/Engineering"' in html
    assert f'href="/audit/object/user/{USER_ID}"' in html


def test_a_target_id_no_url_can_carry_is_shown_without_a_link(client: Client) -> None:
    seed(record(target_id="a/b", target_name="Slashed"))
    response = sign_in(client, AUDITOR).get("/audit/")
    assert response.status_code == 200
    assert "<bdi>Slashed</bdi>" in response.content.decode()
