"""Hot interactions: `GET|POST /rec/hot/interact` -> 202 once the event is stored durably."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from application.record_interaction import InteractionCommand, RecordInteraction
from entrypoints.http.routes_public import TitleId, UserId

INT_TYPE = "A key of REC_INTERACTION_WEIGHTS (default: rating, view, bookmark)"
RAW_SCORE = "The score of a rating (required and finite for int_type=rating)"
ACCEPTED = (
    "202 once the event is committed to the registry: the title leaves the user's lists at once and "
    "the user's list moves toward it; 400 for an unknown int_type or a rating without a finite score"
)
IntType = Annotated[str, QueryParameter(description=INT_TYPE)]
RawScore = Annotated[float | None, QueryParameter(description=RAW_SCORE)]


class HotInteraction(msgspec.Struct, forbid_unknown_fields=True):
    user_id: int
    title_id: int
    int_type: str
    raw_score: float | None = None


class Accepted(msgspec.Struct):
    accepted: bool


class HotController(Controller):
    path = "/rec/hot"
    tags = ["interactions"]

    @get("/interact", status_code=202, summary="Record a hot interaction", description=ACCEPTED)
    async def interact_get(
        self,
        record_interaction: NamedDependency[RecordInteraction],
        user_id: UserId,
        title_id: TitleId,
        int_type: IntType,
        raw_score: RawScore = None,
    ) -> Accepted:
        await record_interaction.execute(InteractionCommand(user_id, title_id, int_type, raw_score))
        return Accepted(True)

    @post("/interact", status_code=202, summary="Record a hot interaction (JSON body)", description=ACCEPTED)
    async def interact_post(
        self, record_interaction: NamedDependency[RecordInteraction], data: JSONBody[HotInteraction]
    ) -> Accepted:
        command = InteractionCommand(data.user_id, data.title_id, data.int_type, data.raw_score)
        await record_interaction.execute(command)
        return Accepted(True)
