"""Hostile text for the property tests and the hostile-strings crawl: what people type,
what other tools write into Graph, and what an attacker would try.

`HOSTILE` lists the classics by name, so a failing example says which one it was;
`hostile_text()` mixes them with arbitrary Unicode (no lone surrogates: they cannot be
encoded as UTF-8, so no browser or Graph ever sends one).
"""

from __future__ import annotations

from hypothesis import strategies as st

ASTRAL = "\U0001d518" * 128  # 128 times MATHEMATICAL FRAKTUR CAPITAL U: 4 bytes each in UTF-8

HOSTILE = {
    "img": "<img src=x onerror=alert(1)>",
    "script": "<script>alert(1)</script>",
    "javascript": "javascript:alert(1)",
    "template": "{{ 7*7 }}",
    "tag": "{% debug %}",
    "rtl": "\u202eevil",
    "svg": '"><svg/onload=alert(1)>',
    "astral": ASTRAL,
    "quote": "O'Brien",
    "close": "x') or (1 eq 1",
    "or": "' or ''='",
    "filter": "x'&$filter=id eq 'y",
    "dots": "../..",
    "encoded dots": "%2e%2e%2f",
    "crlf": "a\r\nSet-Cookie: x=1",
    "nul": "nul\x00inside",
    "semicolon": "a;b\\;c\\",
    "formula": '=HYPERLINK("http://evil")',
    "hash": "a#b?c=d",
    "long": "x" * 5000,
}

# Characters that end or bend something: a string literal, a path, a line, a cell.
_SHARP = "'\"()/\\.;,#?&%=+-@\t\r\n\x00 \u202e\u2066\u200f<>{}$*:"


def hostile_text(*, max_size: int = 80) -> st.SearchStrategy[str]:
    """Arbitrary text, weighted towards the characters and strings above."""
    sharp = st.text(alphabet=st.sampled_from(_SHARP), max_size=max_size)
    anything = st.text(max_size=max_size)
    mixed = st.lists(
        st.one_of(st.sampled_from(list(HOSTILE.values())), sharp, anything), max_size=3
    ).map("".join)
    return st.one_of(st.sampled_from(list(HOSTILE.values())), sharp, anything, mixed)
