from __future__ import annotations

from pathlib import Path

import adapters
import entrypoints

REPO = Path(__file__).resolve().parents[2]


def test_layer_packages_are_this_repository() -> None:
    # PyPI has distributions called `entrypoints` and `adapters`; they must not shadow ours.
    for package in (entrypoints, adapters):
        assert Path(package.__file__ or "").resolve().is_relative_to(REPO)
