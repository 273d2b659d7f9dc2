"""portal.log_redaction: log lines keep paths and parameter names, never a query's values."""

from __future__ import annotations

import logging
import sys

import pytest

from portal.log_redaction import (
    HIDDEN,
    RedactQueryStringsFilter,
    query_names,
    redact_access_log_atoms,
    redact_text,
    redact_url,
)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("code=abc&state=xyz", "code&state"),
        ("code=abc&state=xyz&session_state=1f2e", "code&state&session_state"),
        ("", ""),
        ("flag", "flag"),
        ("empty=", "empty"),
        ("a=1&a=2", "a&a"),
        ("&&a=1&", "a"),
        ("x=a=b", "x"),
        ("$filter=startsWith(displayName,'Ada')&$top=5", "$filter&$top"),
        ("tags[]=a&tags[]=b", "tags[]&tags[]"),
        ("next=/audit/?actor=ada%40contoso.example", "next"),
    ],
)
def test_query_names_keeps_the_names_in_order(query: str, names: str) -> None:
    assert query_names(query) == names


@pytest.mark.parametrize(
    "odd_name",
    [
        "=s3cr3t",  # no name at all, only a value
        "%63ode=abc",  # percent-encoded: its decoded form is unknown to the log's reader
        "a+b=1",
        "line\nbreak=1",  # would forge a second log line
        "tab\there=1",
        "ünïcode=1",
        "n" * 41 + "=1",
    ],
)
def test_a_name_that_is_not_a_plain_parameter_name_is_hidden(odd_name: str) -> None:
    assert query_names(odd_name) == HIDDEN
    assert query_names(f"code=abc&{odd_name}&state=xyz") == f"code&{HIDDEN}&state"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("/auth/callback?code=abc&state=xyz", "/auth/callback?code&state"),
        ("/sets/?q=Engineering", "/sets/?q"),
        ("/auth/sign-in/microsoft?next=/sets/%3Fq%3Dx", "/auth/sign-in/microsoft?next"),
        ("/x?next=/y?code=abc", "/x?next"),
        ("https://portal.example/sets/?q=Ada#top", "https://portal.example/sets/?q"),
        (
            "http://localhost:8000/audit/?actor=ada&until=2025-12-31",
            "http://localhost:8000/audit/?actor&until",
        ),
        ("/x?", "/x?"),
        ("/x#token=abc", "/x"),
        ("", ""),
        ("-", "-"),
    ],
)
def test_redact_url(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/healthz",
        "/sets/Engineering/attributes/Project/",
        "/audit/object/user/6f1c0c2e-7d0b-4a55-9d16-0c4d5b3f1a22",
        "/static/vendor/htmx-4.0.1.min.0123456789ab.js",
        "/sets/Eng%20ineering/",
    ],
)
def test_paths_without_a_query_are_untouched(path: str) -> None:
    assert redact_url(path) == path
    assert redact_text(f"GET {path} HTTP/1.1") == f"GET {path} HTTP/1.1"


def test_a_request_line_keeps_method_path_names_and_protocol() -> None:
    line = "GET /auth/callback?code=0.AXYA-secret-code&state=Zm9vYmFy&session_state=9e8d HTTP/1.1"
    assert redact_text(line) == "GET /auth/callback?code&state&session_state HTTP/1.1"


def test_a_quote_in_a_value_does_not_end_the_query() -> None:
    assert redact_text('GET /sets/?q=O\'Brien&owner="x" HTTP/1.1') == "GET /sets/?q&owner HTTP/1.1"


def test_every_query_in_a_line_is_redacted() -> None:
    text = "from /a?x=1 to https://h.example/b?y=2&z=3 then /c"
    assert redact_text(text) == "from /a?x to https://h.example/b?y&z then /c"


def test_the_request_line_runserver_quotes_in_a_bad_request_message_is_redacted() -> None:
    message = (
        "code 400, message Bad request syntax ('GET /auth/callback?code=abc&state=xyz HTTP/1.1 x')"
    )
    redacted = redact_text(message)
    assert "abc" not in redacted
    assert "xyz" not in redacted
    assert redacted.startswith(
        "code 400, message Bad request syntax ('GET /auth/callback?code&state "
    )


@pytest.mark.parametrize(
    "text",
    ["", "Booting worker with pid: 4242", "Is it ready? Not yet.", "?", "What?", "100% done"],
)
def test_text_without_a_query_is_untouched(text: str) -> None:
    assert redact_text(text) == text


def test_access_log_atoms_lose_every_query_value() -> None:
    atoms: dict[str, object] = {
        "h": "127.0.0.1",
        "r": "GET /auth/callback?code=abc&state=xyz HTTP/1.1",
        "U": "/auth/callback",
        "q": "code=abc&state=xyz",
        "s": 302,
        "b": "0",
        "B": None,
        "f": "https://login.example/tenant/oauth2/v2.0/authorize?client_id=c&state=xyz",
        "a": "Mozilla/5.0",
        "{referer}i": "https://login.example/tenant/oauth2/v2.0/authorize?client_id=c&state=xyz",
        "{x-original-uri}i": "/auth/callback?code=abc&state=xyz",
        "{raw_uri}e": "/auth/callback?code=abc&state=xyz",
        "{query_string}e": "code=abc&state=xyz",
        "{path_info}e": "/auth/callback",
    }
    redacted = redact_access_log_atoms(atoms)
    assert redacted == {
        **atoms,
        "r": "GET /auth/callback?code&state HTTP/1.1",
        "q": "code&state",
        "f": "https://login.example/tenant/oauth2/v2.0/authorize?client_id&state",
        "{referer}i": "https://login.example/tenant/oauth2/v2.0/authorize?client_id&state",
        "{x-original-uri}i": "/auth/callback?code&state",
        "{raw_uri}e": "/auth/callback?code&state",
        "{query_string}e": "code&state",
    }
    assert not any("abc" in str(value) or "xyz" in str(value) for value in redacted.values())


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("portal.test", logging.INFO, __file__, 1, msg, args, None)


def test_the_filter_redacts_a_query_in_an_argument() -> None:
    record = _record('"%s" %s %s', "GET /auth/callback?code=abc&state=xyz HTTP/1.1", "302", "0")
    assert RedactQueryStringsFilter().filter(record) is True
    assert record.getMessage() == '"GET /auth/callback?code&state HTTP/1.1" 302 0'


def test_the_filter_redacts_a_query_in_the_format_string() -> None:
    record = _record("callback at /auth/callback?code=abc took %d ms", 12)
    RedactQueryStringsFilter().filter(record)
    assert record.getMessage() == "callback at /auth/callback?code took 12 ms"


def test_the_filter_redacts_a_query_inside_an_argument_of_any_type() -> None:
    error = ValueError("bad redirect to /auth/callback?code=abc")
    record = _record("sign-in failed: %s", error)
    RedactQueryStringsFilter().filter(record)
    assert record.getMessage() == "sign-in failed: bad redirect to /auth/callback?code"


def test_the_filter_leaves_a_record_without_a_query_as_it_was() -> None:
    args = ("/v1.0/directory/attributeSets", 200)
    record = _record("graph GET %s answered %s", *args)
    RedactQueryStringsFilter().filter(record)
    assert record.msg == "graph GET %s answered %s"
    assert record.args == args


def test_the_filter_lets_a_record_whose_arguments_do_not_fit_through() -> None:
    record = _record("%d items", "not a number")
    assert RedactQueryStringsFilter().filter(record) is True
    assert record.args == ("not a number",)


def test_the_filter_redacts_a_query_in_a_traceback() -> None:
    try:
        raise ConnectionError(
            "Max retries exceeded with url: /v1.0/users?$filter=startsWith(x,'Ada')"
        )
    except ConnectionError:
        record = logging.getLogger("portal.test").makeRecord(
            "portal.test",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            ("/sets/",),
            sys.exc_info(),
        )
    RedactQueryStringsFilter().filter(record)
    line = logging.Formatter().format(record)
    assert "Internal Server Error: /sets/" in line
    assert "ConnectionError: Max retries exceeded with url: /v1.0/users?$filter" in line
    assert "Ada" not in line


def test_the_filter_redacts_a_query_in_stack_info() -> None:
    record = _record("checkpoint")
    record.stack_info = 'Stack (most recent call last):\n  fetch("/sets/?q=Ada")'
    RedactQueryStringsFilter().filter(record)
    assert "Ada" not in logging.Formatter().format(record)
