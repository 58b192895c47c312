"""What the container's providers call to choose an adapter from the settings (kept apart from the
provider graph itself, `entrypoints.container`)."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Awaitable, Callable

from adapters.artifacts.filesystem_artifacts import FilesystemArtifactStore
from adapters.cache.coalescing_cache import CoalescingCache
from adapters.cache.in_process_cache import InProcessRecommendationCache
from adapters.cache.redis_broadcast import RedisBroadcast
from adapters.cache.redis_cache import RedisRecommendationCache
from adapters.cache.redis_channel import RedisChannel
from adapters.cache.redis_connect import channel_listener
from adapters.cache.redis_near_cache import RedisNearCache
from adapters.seen_index.features import InMemoryFeatures
from adapters.source.queries import load_query_file
from application.follow_source_interactions import FollowSourceInteractions
from application.ports import (
    NO_BROADCAST,
    NO_EVENTS,
    ArtifactStore,
    FeatureSource,
    ReplicaBroadcast,
    SeenIndex,
    ServiceEvents,
)
from application.training_pipeline import TrainingPolicy
from domain.activation_policy import AutoActivate
from domain.interaction import PositiveRule
from entrypoints.settings import Settings


def training_policy(settings: Settings) -> TrainingPolicy:
    return TrainingPolicy(AutoActivate.parse(settings.auto_activate), settings.keep_models)


def positive_rule(settings: Settings) -> PositiveRule:
    return PositiveRule(settings.interaction_weights, settings.rating_min_positive)


def source_queries(settings: Settings) -> dict[str, str] | None:
    return load_query_file(settings.source_queries) if settings.source_queries else None


def trainer_candidate(settings: Settings) -> bool:
    """Trainer candidates: processes with REC_TRAIN_CRON other than off (contract section 10)."""
    return settings.train_cron != "off"


def lease_holder() -> str:
    """This process in the lease row: host, pid and a random part (a restarted pid is a new holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[:255]


def artifacts(settings: Settings) -> ArtifactStore:
    """By the scheme of REC_ARTIFACTS_URL: a directory, or a bucket with a local cache."""
    location = settings.artifacts_bucket
    if location is None:
        return FilesystemArtifactStore(settings.artifacts_dir)
    from adapters.artifacts.s3_artifacts import S3ArtifactStore  # boto3 is loaded only when used

    bucket, prefix = location
    return S3ArtifactStore(bucket, prefix, settings.artifact_cache_dir, endpoint_url=settings.s3_endpoint_url)


def tail(settings: Settings, tail: Callable[[], FollowSourceInteractions]) -> FollowSourceInteractions | None:
    """The seen index's tail runs only with REC_SEEN_FROM=memory."""
    return tail() if settings.seen_from == "memory" else None


def serving_index(settings: Settings, index: SeenIndex) -> SeenIndex | None:
    """The index that answers "seen" on a miss: none with REC_SEEN_FROM=source (version 1's reads)."""
    return index if settings.seen_from == "memory" else None


def request_features(settings: Settings, features: FeatureSource) -> FeatureSource:
    """With REC_SEEN_FROM=memory a miss reads features from memory too (refreshed with the catalogue)."""
    return InMemoryFeatures(features) if settings.seen_from == "memory" else features


def features_refresh(features: FeatureSource) -> Callable[[], Awaitable[None]] | None:
    return features.refresh if isinstance(features, InMemoryFeatures) else None


def redis_channel(settings: Settings) -> RedisChannel | None:
    """The one subscription of this process to its replicas' Redis channel (none without Redis)."""
    return RedisChannel(channel_listener(settings.redis_url)) if settings.redis_url else None


def cache(
    settings: Settings, events: ServiceEvents = NO_EVENTS, channel: RedisChannel | None = None
) -> CoalescingCache:
    """Redis when REC_REDIS_URL is set, else in-process; concurrent misses computed once either way."""
    ttl = settings.cache_ttl_seconds
    if settings.redis_url:
        shared = RedisRecommendationCache.from_url(settings.redis_url, ttl, events=events)
        if settings.near_cache_seconds <= 0:
            return CoalescingCache(shared)
        listening = channel or channel_listener(settings.redis_url)
        near = RedisNearCache(shared, listening, settings.near_cache_seconds, events=events)
        return CoalescingCache(near)
    return CoalescingCache(InProcessRecommendationCache(ttl_seconds=ttl, events=events))


def broadcast(
    settings: Settings, channel: RedisChannel | None, events: ServiceEvents = NO_EVENTS
) -> ReplicaBroadcast:
    """Announcements on the replicas' Redis channel; without Redis the registry poll alone."""
    if settings.redis_url is None or channel is None:
        return NO_BROADCAST
    return RedisBroadcast.from_url(settings.redis_url, channel, events)


def recommendation_id_prefix() -> str:
    """This process's part of every recommendation id (one system call, at start)."""
    return secrets.token_hex(5)
