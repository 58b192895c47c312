# ruff: noqa: RUF001  (digits of other scripts are the point)
"""Ids and list sizes: ASCII digits only, and no digit string long enough to reach int()'s limit."""

from __future__ import annotations

import pytest

from domain.errors import InvalidArgumentError
from domain.ids import MAX_ID, parse_id, parse_id_list, parse_k

HOSTILE = [
    "1" * 5000,  # past int()'s 4,300-digit limit (a ValueError of another kind)
    "9" * 20,  # past 64 bits
    "²",  # a digit to str.isdigit(), not to int()
    "١٢",  # Arabic-Indic digits: int() reads 12
    "１２",  # fullwidth digits: int() reads 12
    "1_000",  # int() reads 1000
    "-3",
    "0",
    "",
    " ",
    "1e3",
    "0x10",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_ids_are_invalid_arguments(value: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        parse_id(value, "title_id")
    assert "title_id" in str(info.value)
    assert len(str(info.value)) < 200  # the refused value is quoted, not echoed whole


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_id_lists_are_invalid_arguments(value: str) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_id_list(f"1,{value},2" if value.strip() else "1,-1", "exclude")


@pytest.mark.parametrize("value", [v for v in HOSTILE if v.strip()])
def test_hostile_list_sizes_are_invalid_arguments(value: str) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_k(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7), (" 42 ", 42), ("+5", 5), ("007", 7), (str(MAX_ID), MAX_ID), (9, 9), ("0" * 5000 + "3", 3)],
)
def test_plain_ids_are_read(value: object, expected: int) -> None:
    assert parse_id(value, "user_id") == expected


def test_id_lists_and_sizes_are_read() -> None:
    assert parse_id_list("1, 2,,3", "exclude") == frozenset({1, 2, 3})
    assert parse_k(None) == 10
    assert parse_k("200") == 200
    assert parse_k(7) == 7
