"""The Recommender servicer: translate the message, call the use case, translate the result."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

from application.recommend_for_user import RecommendForUser
from application.record_interaction import InteractionCommand, RecordInteraction
from application.relevant_titles import RelevantTitles
from application.train_model import TrainModel
from domain.training_job import TrainingJob
from entrypoints.admin_access import check_admin
from entrypoints.grpc.errors import translate_errors
from entrypoints.grpc.messages import (
    batch_queries,
    recommendations_message,
    relevant_query,
    train_command,
    train_response,
    user_query,
)
from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc


def peer_host(peer: str) -> str | None:
    """The address part of a gRPC peer: `ipv4:127.0.0.1:5000`, `ipv6:[::1]:5000` or, as grpc.aio
    reports it, URL-encoded `ipv6:%5B::1%5D:5000`; None for other kinds."""
    kind, _, address = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return None  # e.g. `unix:/run/rec.sock`: not a loopback IP address
    host, _, _port = unquote(address).rpartition(":")
    return host.strip("[]") or None


def metadata_value(context: Any, key: str) -> str | None:
    for name, value in context.invocation_metadata() or ():
        if name == key:
            return str(value)
    return None


class RecommenderServicer(pb_grpc.RecommenderServicer):
    """Handed the use cases it calls (as the REST routes are), not the container."""

    def __init__(
        self,
        recommend: RecommendForUser,
        relevant: RelevantTitles,
        record: RecordInteraction,
        train: TrainModel,
        admin_token: str | None,
    ) -> None:
        self._recommend = recommend
        self._relevant = relevant
        self._train = train
        self._record = record
        self._admin_token = admin_token
        self._trainings: set[asyncio.Task[TrainingJob]] = set()

    @translate_errors
    async def GetUserRecommendations(
        self, request: pb.UserRequest, context: Any
    ) -> pb.RecommendationsResponse:
        return recommendations_message(await self._recommend.execute(user_query(request)))

    @translate_errors
    async def GetUserRecommendationsBatch(
        self, request: pb.UserBatchRequest, context: Any
    ) -> pb.UserBatchResponse:
        # Sequential on purpose: cache hits take microseconds, and misses must not flood the source's pool.
        results = [recommendations_message(await self._recommend.execute(q)) for q in batch_queries(request)]
        return pb.UserBatchResponse(results=results)

    @translate_errors
    async def GetTitleRelevant(self, request: pb.TitleRequest, context: Any) -> pb.RecommendationsResponse:
        return recommendations_message(await self._relevant.execute(relevant_query(request)))

    @translate_errors
    async def RecordInteraction(self, request: pb.InteractionRequest, context: Any) -> pb.InteractionResponse:
        raw_score = request.raw_score if request.HasField("raw_score") else None
        named = request.recommendation_id or None  # proto3's "" is "not given"
        command = InteractionCommand(request.user_id, request.title_id, request.int_type, raw_score, named)
        await self._record.execute(command)
        return pb.InteractionResponse(accepted=True)

    @translate_errors
    async def TrainModel(self, request: pb.TrainRequest, context: Any) -> pb.TrainResponse:
        check_admin(self._admin_token, metadata_value(context, "authorization"), peer_host(context.peer()))
        command, wait = train_command(request)
        if not wait:
            return train_response(await self._train.submit(command))
        # A client that stops waiting (deadline, cancel) must not cut the training short.
        task = asyncio.create_task(self._train.execute(command))
        self._trainings.add(task)
        task.add_done_callback(self._trainings.discard)
        return train_response(await asyncio.shield(task))
