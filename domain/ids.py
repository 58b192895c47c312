"""Validation of user and title ids and of list sizes (README, "REST API")."""

from __future__ import annotations

from domain.errors import InvalidArgumentError

MAX_ID = 2**63 - 1
DEFAULT_K = 10
MAX_K = 200


MAX_ID_DIGITS = len(str(MAX_ID))
SHOWN_CHARS = 40
"""Error details quote at most this much of a refused value (it may be megabytes long)."""


def shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}... ({len(text)} characters)"


def ascii_integer(text: str, max_digits: int) -> int | None:
    """`text` as a non-negative integer when it is ASCII digits (an optional `+`, surrounding spaces
    and leading zeros allowed) with at most `max_digits` significant ones; None otherwise. Other
    scripts' digits (superscripts, Arabic-Indic, fullwidth) and digit strings past the limit are
    refused here, before `int()` could accept them or raise past its own digit limit."""
    digits = text.strip(" \t").removeprefix("+")
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    significant = digits.lstrip("0")
    if len(significant) > max_digits:
        return None
    return int(significant or "0")


def parse_id(value: object, name: str) -> int:
    """Return `value` as a positive 64-bit id or raise InvalidArgumentError naming `name`."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        number = ascii_integer(value, MAX_ID_DIGITS)
    if number is None or not 1 <= number <= MAX_ID:
        raise InvalidArgumentError(f"{name} must be an integer between 1 and {MAX_ID}, got {shown(value)}")
    return number


def parse_k(value: object | None) -> int:
    """Return the list size: default 10, otherwise an integer in 1..200."""
    if value is None or value == "":
        return DEFAULT_K
    k: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        k = value
    elif isinstance(value, str):
        k = ascii_integer(value, len(str(MAX_K)))
    if k is None or not 1 <= k <= MAX_K:
        raise InvalidArgumentError(f"k must be an integer between 1 and {MAX_K}, got {shown(value)}")
    return k


def parse_id_list(value: str | None, name: str) -> frozenset[int]:
    """Parse a comma-separated list of ids such as `exclude=1,2,3`."""
    if value is None or value.strip() == "":
        return frozenset()
    return frozenset(parse_id(part, name) for part in value.split(",") if part.strip())
