"""Translation between protobuf messages and the use cases' queries, commands and results."""

from __future__ import annotations

import struct

from application.recommend_for_user import RecommendQuery
from application.relevant_titles import RelevantQuery
from application.train_model import TrainCommand
from domain.errors import InvalidArgumentError
from domain.ids import parse_id, parse_k
from domain.recommendation import Recommendations
from domain.title_filter import TitleFilter
from domain.training_job import JobTrigger, TrainingJob
from entrypoints.train_request import train_command as command_from_values
from protos import recommendations_pb2 as pb

MAX_BATCH_USERS = 1000
FLOAT32_PARAMS = ("learning_rate", "item_alpha", "user_alpha")


def list_size(k: int) -> int:
    """`k` 0 is proto3's "not set": the REST default of 10; anything else must be 1..200."""
    return parse_k(None if k == 0 else k)


def title_filter(request: pb.UserRequest | pb.UserBatchRequest | pb.TitleRequest) -> TitleFilter:
    return TitleFilter.of(request.features, request.not_features)


def user_query(request: pb.UserRequest) -> RecommendQuery:
    exclude = frozenset(parse_id(title_id, "exclude") for title_id in request.exclude)
    return RecommendQuery(
        parse_id(request.user_id, "user_id"), list_size(request.k), exclude, title_filter(request)
    )


def batch_queries(request: pb.UserBatchRequest) -> list[RecommendQuery]:
    """One query per asked user, in order (duplicates included); any bad id fails the whole batch."""
    if len(request.user_ids) > MAX_BATCH_USERS:
        raise InvalidArgumentError(
            f"user_ids holds {len(request.user_ids)} ids; at most {MAX_BATCH_USERS} per batch"
        )
    k, wanted = list_size(request.k), title_filter(request)
    return [
        RecommendQuery(parse_id(u, f"user_ids[{i}]"), k, filter=wanted)
        for i, u in enumerate(request.user_ids)
    ]


def relevant_query(request: pb.TitleRequest) -> RelevantQuery:
    return RelevantQuery(parse_id(request.title_id, "title_id"), list_size(request.k), title_filter(request))


def recommendations_message(recs: Recommendations) -> pb.RecommendationsResponse:
    return pb.RecommendationsResponse(
        id=recs.subject_id,
        item_ids=recs.items.title_ids,
        scores=recs.items.scores,
        model_id=recs.model_id or "",
        source=recs.source.value,
        cached=recs.cached,
        recommendation_id=recs.recommendation_id,
        experiment_arm=recs.experiment_arm or "",
    )


def train_command(request: pb.TrainRequest) -> tuple[TrainCommand, bool]:
    """The command and `wait`. Unset fields take the REST defaults: REST's own rules decide them."""
    given = {field.name: value for field, value in request.ListFields()}  # every field is `optional`
    for name in FLOAT32_PARAMS:
        if name in given:
            given[name] = shortest_float32(given[name])
    return command_from_values(given, JobTrigger.MANUAL)


def shortest_float32(value: float) -> float:
    """The shortest decimal a float32 field holds: 0.05, not 0.05000000074505806 (as REST records)."""
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        try:
            if struct.unpack("f", struct.pack("f", candidate))[0] == value:
                return candidate
        except OverflowError:  # rounded past the largest float32
            continue
    return value  # nan, or a value no shorter decimal reproduces


def train_response(job: TrainingJob) -> pb.TrainResponse:
    """`model_id` "" while there is none (a running or failed job); numeric metrics only."""
    metrics = {name: float(v) for name, v in job.metrics.items() if isinstance(v, int | float)}
    return pb.TrainResponse(
        job_id=job.job_id, model_id=job.model_id or "", status=job.status.value, metrics=metrics
    )
