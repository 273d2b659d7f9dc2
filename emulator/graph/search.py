"""`$search` on directory objects, as Graph documents it (concepts/search-query-parameter.md).

`"property:text"` clauses joined by upper-case `AND` and `OR` (AND binds tighter;
parentheses group), each clause in double quotes with `\\"` and `\\\\` escaped. On
`displayName` and `description` the search is tokenised: the value and the text are split
into words at spaces, symbols, digits and lower-to-upper case changes, words joined only by
symbols are also kept joined, and every word of the text must start some word of the value,
in any order and without regard to case. Every other property behaves like `startsWith`
on the whole value, without regard to case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from emulator.graph.errors import GraphError, bad_request
from emulator.graph.odata import Predicate

TOKENISED = frozenset({"displayName", "description"})

_TOKEN = re.compile(r'\s*(?:(?P<clause>"(?:[^"\\]|\\.)*")|(?P<op>AND|OR)(?![\w"])|(?P<paren>[()]))')
_RUN = re.compile(r"[^\W_]+")  # letters and digits between symbols


@dataclass(frozen=True, slots=True)
class SearchProperty:
    name: str
    get: Callable[[Any], Any]


Resolver = Callable[[str], SearchProperty | None]


def compile_search(text: str, resolve: Resolver, searchable: Sequence[str]) -> Predicate:
    """A predicate for `$search`; 400 for bad syntax or a property that cannot be searched."""
    tokens = _tokenise(text)
    parser = _Parser(tokens, text, resolve, searchable)
    predicate = parser.disjunction()
    if parser.position != len(tokens):
        raise _syntax_error(text)
    return predicate


def words(value: str, *, joined: bool = True) -> list[str]:
    """The search words of a value: `HR Q&A-Bot v2` -> hr, q, a, bot, v, 2 and, with
    `joined`, the symbol-joined forms qa, abot, qabot… as Graph combines them."""
    found: list[str] = []
    for chunk in value.split():
        runs = [part for run in _RUN.findall(chunk) for part in _split_run(run)]
        found += [run.casefold() for run in runs]
        if joined and len(runs) > 1:
            found.append("".join(runs).casefold())
    return found


@lru_cache(maxsize=65_536)
def _value_words(value: str) -> tuple[str, ...]:
    return tuple(words(value))


def _split_run(run: str) -> list[str]:
    """Split at digit boundaries and where a lower-case letter is followed by an upper-case
    one (`HelloWorld` -> Hello, World; `HELLOworld` stays whole, as Graph documents)."""
    parts, start = [], 0
    for index in range(1, len(run)):
        before, here = run[index - 1], run[index]
        if (before.islower() and here.isupper()) or (before.isdigit() != here.isdigit()):
            parts.append(run[start:index])
            start = index
    parts.append(run[start:])
    return parts


def _tokenise(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise _syntax_error(text)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _syntax_error(text: str) -> GraphError:
    return bad_request(
        f'Syntax error in $search: {text}. Use "property:value" clauses joined by AND or OR '
        "(upper case)."
    )


class _Parser:
    def __init__(
        self,
        tokens: list[tuple[str, str]],
        text: str,
        resolve: Resolver,
        searchable: Sequence[str],
    ) -> None:
        self.tokens, self.text, self.resolve, self.searchable = tokens, text, resolve, searchable
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _syntax_error(self.text)
        self.position += 1
        return token

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == ("op", "OR"):
            self.take()
            parts.append(self.conjunction())
        if len(parts) == 1:
            return parts[0]
        return lambda item: any(part(item) for part in parts)

    def conjunction(self) -> Predicate:
        parts = [self.primary()]
        while self.peek() == ("op", "AND"):
            self.take()
            parts.append(self.primary())
        if len(parts) == 1:
            return parts[0]
        return lambda item: all(part(item) for part in parts)

    def primary(self) -> Predicate:
        kind, value = self.take()
        if (kind, value) == ("paren", "("):
            inner = self.disjunction()
            if self.take() != ("paren", ")"):
                raise _syntax_error(self.text)
            return inner
        if kind != "clause":
            raise _syntax_error(self.text)
        return self.clause(re.sub(r"\\(.)", r"\1", value[1:-1]))

    def clause(self, clause: str) -> Predicate:
        name, separator, term = clause.partition(":")
        found = self.resolve(name.strip()) if separator else None
        if found is None:
            raise bad_request(
                f"Invalid $search clause '{clause}': search one of "
                f'{", ".join(self.searchable)} as "property:value".'
            )
        get = found.get
        if found.name in TOKENISED:
            wanted = words(term, joined=False)
            seen: dict[str, bool] = {}  # display names repeat across a tenant

            def tokenised(item: Any) -> bool:
                value = str(get(item) or "")
                hit = seen.get(value)
                if hit is None:
                    have = _value_words(value)
                    hit = seen[value] = all(
                        any(word.startswith(part) for word in have) for part in wanted
                    )
                return hit

            return tokenised
        prefix = term.strip().casefold()

        def starts_with(item: Any) -> bool:
            value = get(item)
            values = value if isinstance(value, list) else [value]
            return any(v is not None and str(v).casefold().startswith(prefix) for v in values)

        return starts_with
