"""A small reader of OData `$filter` text for the property tests: where each string
literal starts and ends, as Graph's parser reads it, and what is left between them."""

from __future__ import annotations


def split_filter(text: str) -> tuple[str, list[str]]:
    """The filter with each string literal replaced by `''`, and the literals' values.

    A literal runs from a `'` to the next `'` that is not doubled; `''` inside one is a
    quote. An unclosed literal is an error, as it is for Graph.
    """
    skeleton: list[str] = []
    literals: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "'":
            skeleton.append(char)
            i += 1
            continue
        value: list[str] = []
        i += 1
        while True:
            if i >= len(text):
                raise ValueError(f"unclosed string literal in {text!r}")
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    value.append("'")
                    i += 2
                    continue
                i += 1
                break
            value.append(text[i])
            i += 1
        skeleton.append("''")
        literals.append("".join(value))
    return "".join(skeleton), literals


def literals_of(text: str) -> list[str]:
    return split_filter(text)[1]
