"""One behaviour for every `AdminBlacklistStore`: the in-memory fake, SQLite and MariaDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.memory.events import InMemoryAdminBlacklist
from adapters.registry.sqlalchemy_admin_blacklist import SqlAlchemyAdminBlacklist
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.errors import RegistryUnavailableError
from tests.contract.stores import ready, unusable

BIG = 2**63 - 1


def admin(title_id: int, reason: str | None = None) -> BlacklistEntry:
    return BlacklistEntry(title_id, reason, BlacklistOrigin.ADMIN)


@pytest.fixture
async def store(db_url: str | None) -> AsyncIterator[Any]:
    async with ready(db_url, InMemoryAdminBlacklist, SqlAlchemyAdminBlacklist) as entries:
        yield entries


async def test_entries_are_listed_by_title_id_with_their_reasons(store: Any) -> None:
    assert await store.list_entries() == ()
    for entry in (admin(BIG, "takedown"), admin(3), admin(7, "légal")):
        await store.put(entry)
    assert await store.list_entries() == (admin(3), admin(7, "légal"), admin(BIG, "takedown"))


async def test_a_put_replaces_the_entry_of_its_title(store: Any) -> None:
    await store.put(admin(7, "takedown"))
    await store.put(admin(7, "legal request"))
    await store.put(admin(8, "x"))
    await store.put(admin(8))
    assert await store.list_entries() == (admin(7, "legal request"), admin(8))


async def test_remove_says_whether_the_title_was_listed(store: Any) -> None:
    await store.put(admin(3))
    await store.put(admin(4, "kept"))
    assert await store.remove(3) is True
    assert await store.remove(3) is False
    assert await store.remove(99) is False
    assert await store.list_entries() == (admin(4, "kept"),)


async def test_an_unusable_database_is_registry_unavailable(db_url: str | None) -> None:
    async with unusable(db_url, InMemoryAdminBlacklist, SqlAlchemyAdminBlacklist) as broken:
        with pytest.raises(RegistryUnavailableError):
            await broken.list_entries()
        with pytest.raises(RegistryUnavailableError):
            await broken.put(admin(3))
        with pytest.raises(RegistryUnavailableError):
            await broken.remove(3)
