"""A request's feature filters over the catalogue: which titles qualify, which are left out.

Applied when a list is read, as the blacklist is: cached lists never depend on them.
"""

from __future__ import annotations

from application.ports import Catalogue
from domain.title_filter import TitleFilter


def restriction(wanted: TitleFilter, catalogue: Catalogue) -> tuple[frozenset[int] | None, frozenset[int]]:
    """(the titles that qualify, None when every title may; the titles left out)."""
    by_feature = catalogue.feature_titles
    empty: frozenset[int] = frozenset()
    unwanted = empty.union(*(by_feature.get(name, empty) for name in wanted.not_features))
    if not wanted.features:
        return None, unwanted
    allowed = empty.union(*(by_feature.get(name, empty) for name in wanted.features))
    return allowed - unwanted, unwanted
