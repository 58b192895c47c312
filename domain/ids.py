"""Validation of user and title ids and of list sizes (README, "REST API")."""

from __future__ import annotations

from domain.errors import InvalidArgumentError

MAX_ID = 2**63 - 1
DEFAULT_K = 10
MAX_K = 200


def parse_id(value: object, name: str) -> int:
    """Return `value` as a positive 64-bit id or raise InvalidArgumentError naming `name`."""
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{name} must be a positive 64-bit integer, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("+").isdigit():
        number = int(value.strip())
    else:
        raise InvalidArgumentError(f"{name} must be a positive 64-bit integer, got {value!r}")
    if not 1 <= number <= MAX_ID:
        raise InvalidArgumentError(f"{name} must be between 1 and {MAX_ID}, got {number}")
    return number


def parse_k(value: object | None) -> int:
    """Return the list size: default 10, otherwise an integer in 1..200."""
    if value is None or value == "":
        return DEFAULT_K
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidArgumentError(f"k must be an integer between 1 and {MAX_K}, got {value!r}")
    try:
        k = int(value)
    except ValueError:
        raise InvalidArgumentError(f"k must be an integer between 1 and {MAX_K}, got {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise InvalidArgumentError(f"k must be between 1 and {MAX_K}, got {k}")
    return k


def parse_id_list(value: str | None, name: str) -> frozenset[int]:
    """Parse a comma-separated list of ids such as `exclude=1,2,3`."""
    if value is None or value.strip() == "":
        return frozenset()
    return frozenset(parse_id(part, name) for part in value.split(",") if part.strip())
