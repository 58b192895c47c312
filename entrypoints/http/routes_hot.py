"""Hot interactions sent as JSON: `POST /rec/hot/interact` -> 202 once the event is stored durably.

The GET form is a route of the hot-route table; this body has the same fields (names, types and
defaults from the table; no query-string bounds, as the use case validates the event), the same
command, status, description and answer. It is registered with the table's routes
(`hot_handlers.hot_router`): Litestar wants the methods of one path in one registration.
"""

from __future__ import annotations

import msgspec
from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.record_interaction import RecordInteraction
from entrypoints.http.documented_errors import JSON_BODY, errors
from entrypoints.http.hot_routes import HOT_INTERACTION, REQUIRED, Accepted

HotInteraction: type[msgspec.Struct] = msgspec.defstruct(
    "HotInteraction",
    [
        (p.name, p.kind) if p.default is REQUIRED else (p.name, p.kind, p.default)
        for p in HOT_INTERACTION.params
    ],
    forbid_unknown_fields=True,
    module=__name__,
)


@post(
    "/rec/hot/interact",
    status_code=HOT_INTERACTION.status,
    summary=f"{HOT_INTERACTION.summary} (JSON body)",
    description=HOT_INTERACTION.description,
    tags=list(HOT_INTERACTION.tags),
    responses=errors(*JSON_BODY, *HOT_INTERACTION.errors),
)
async def interact_post(
    record_interaction: NamedDependency[RecordInteraction],
    data: JSONBody[HotInteraction],  # type: ignore[valid-type]  # a struct made from the table
) -> Accepted:
    command = HOT_INTERACTION.command(**msgspec.structs.asdict(data))
    await record_interaction.execute(command)
    return Accepted(True)
