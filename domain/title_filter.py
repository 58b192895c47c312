"""Request-time filters on lists: titles having one of `features`, none of `not_features`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.errors import InvalidArgumentError
from domain.ids import shown

MAX_FILTER_NAMES = 20
"""Names in `feature` and `not_feature` together (contract 4.2)."""
MAX_FEATURE_NAME_CHARS = 255
"""The source's `feature` column is a VARCHAR(255)."""


@dataclass(frozen=True, slots=True)
class TitleFilter:
    """With `features`, only titles having at least one of them qualify; titles having any of
    `not_features` never do. A name no title has is not an error: fewer titles qualify."""

    features: frozenset[str] = frozenset()
    not_features: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, features: Iterable[str] | None = None, not_features: Iterable[str] | None = None
    ) -> TitleFilter:
        wanted, unwanted = list(features or ()), list(not_features or ())
        given = len(wanted) + len(unwanted)
        if given > MAX_FILTER_NAMES:
            raise InvalidArgumentError(
                f"feature and not_feature name {given} features in all; at most {MAX_FILTER_NAMES}"
            )
        for name in (*wanted, *unwanted):
            if not isinstance(name, str) or not name.strip() or len(name) > MAX_FEATURE_NAME_CHARS:
                raise InvalidArgumentError(
                    f"a feature name is 1..{MAX_FEATURE_NAME_CHARS} characters, such as genre:Action; "
                    f"got {shown(name)}"
                )
        if not given:
            return NO_FILTER
        return cls(frozenset(wanted), frozenset(unwanted))

    def __bool__(self) -> bool:
        return bool(self.features or self.not_features)


NO_FILTER = TitleFilter()
