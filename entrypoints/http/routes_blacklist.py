"""`/admin/blacklist`: the admin list of titles never recommended (beside the source's table)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from application.blacklist_admin import BlacklistAdmin
from domain.blacklist import BlacklistEntry
from domain.ids import MAX_ID, parse_id
from entrypoints.http.auth import admin_guard
from entrypoints.http.documented_errors import ADMIN, JSON_BODY, errors

# Read as text and parsed by the domain's id rule: Litestar's `int` path converter takes any
# script's digits (`١٢` is 12) and answers 404 for a number past int()'s digit limit.
TitlePath = Annotated[str, PathParameter(pattern="^[0-9]{1,19}$", description=f"Title id, 1..{MAX_ID}")]


class BlacklistEntryBody(msgspec.Struct):
    title_id: int
    reason: str | None
    source: Literal["admin", "source"]

    @classmethod
    def of(cls, entry: BlacklistEntry) -> BlacklistEntryBody:
        return cls(entry.title_id, entry.reason, entry.source.value)


class BlacklistBody(msgspec.Struct):
    titles: list[BlacklistEntryBody]


class BlacklistReason(msgspec.Struct, forbid_unknown_fields=True):
    reason: str | None = None


class BlacklistRemoved(msgspec.Struct):
    title_id: int
    removed: bool


class BlacklistController(Controller):
    path = "/admin/blacklist"
    tags = ["admin"]
    guards = [admin_guard]

    @get(
        "/",
        summary="Blacklisted titles: the admin list and the source's table",
        responses=errors(*ADMIN),
    )
    async def list_titles(self, blacklist_admin: NamedDependency[BlacklistAdmin]) -> BlacklistBody:
        return BlacklistBody([BlacklistEntryBody.of(e) for e in blacklist_admin.entries()])

    @put(
        "/{title_id:str}",
        status_code=200,
        summary="Blacklist a title (admin list); takes effect on the very next answer",
        responses=errors(*ADMIN, *JSON_BODY, 503),
    )
    async def add_title(
        self,
        blacklist_admin: NamedDependency[BlacklistAdmin],
        title_id: TitlePath,
        data: JSONBody[BlacklistReason | None] = None,
    ) -> BlacklistEntryBody:
        entry = await blacklist_admin.put(parse_id(title_id, "title_id"), data.reason if data else None)
        return BlacklistEntryBody.of(entry)

    @delete(
        "/{title_id:str}",
        status_code=200,
        summary="Remove a title from the admin list",
        description="404 when the admin list does not hold it (the source's table is not edited here)",
        responses=errors(*ADMIN, 404, 503),
    )
    async def remove_title(
        self, blacklist_admin: NamedDependency[BlacklistAdmin], title_id: TitlePath
    ) -> BlacklistRemoved:
        removed = parse_id(title_id, "title_id")
        await blacklist_admin.remove(removed)
        return BlacklistRemoved(removed, True)
