"""What the settings choose, for the container: the cache, the artifact store, the seen index's
tail, the training policy, whether this process is a trainer candidate and its name in the lease."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Awaitable, Callable

from adapters.artifacts.filesystem_artifacts import FilesystemArtifactStore
from adapters.cache.coalescing_cache import CoalescingCache
from adapters.cache.in_process_cache import InProcessRecommendationCache
from adapters.cache.redis_cache import RedisRecommendationCache, invalidation_listener
from adapters.cache.redis_near_cache import RedisNearCache
from adapters.seen_index.features import InMemoryFeatures
from adapters.source.queries import load_query_file
from application.follow_source_interactions import FollowSourceInteractions
from application.ports import NO_EVENTS, ArtifactStore, FeatureSource, SeenIndex, ServiceEvents
from application.training_pipeline import TrainingPolicy
from domain.activation_policy import AutoActivate
from domain.interaction import PositiveRule
from entrypoints.settings import Settings


def _policy(settings: Settings) -> TrainingPolicy:
    return TrainingPolicy(AutoActivate.parse(settings.auto_activate), settings.keep_models)


def _rule(settings: Settings) -> PositiveRule:
    return PositiveRule(settings.interaction_weights, settings.rating_min_positive)


def _source_queries(settings: Settings) -> dict[str, str] | None:
    return load_query_file(settings.source_queries) if settings.source_queries else None


def _candidate(settings: Settings) -> bool:
    """Trainer candidates: processes with REC_TRAIN_CRON other than off (contract section 10)."""
    return settings.train_cron != "off"


def _holder() -> str:
    """This process in the lease row: host, pid and a random part (a restarted pid is a new holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[:255]


def _artifacts(settings: Settings) -> ArtifactStore:
    """By the scheme of REC_ARTIFACTS_URL: a directory, or a bucket with a local cache."""
    location = settings.artifacts_bucket
    if location is None:
        return FilesystemArtifactStore(settings.artifacts_dir)
    from adapters.artifacts.s3_artifacts import S3ArtifactStore  # boto3 is loaded only when used

    bucket, prefix = location
    return S3ArtifactStore(bucket, prefix, settings.artifact_cache_dir, endpoint_url=settings.s3_endpoint_url)


def _tail(
    settings: Settings, tail: Callable[[], FollowSourceInteractions]
) -> FollowSourceInteractions | None:
    """The seen index's tail runs only with REC_SEEN_FROM=memory."""
    return tail() if settings.seen_from == "memory" else None


def _serving_index(settings: Settings, index: SeenIndex) -> SeenIndex | None:
    """The index that answers "seen" on a miss: none with REC_SEEN_FROM=source (version 1's reads)."""
    return index if settings.seen_from == "memory" else None


def _cache(settings: Settings, events: ServiceEvents = NO_EVENTS) -> CoalescingCache:
    """Redis when REC_REDIS_URL is set, else in-process; concurrent misses computed once either way."""
    ttl = settings.cache_ttl_seconds
    if settings.redis_url:
        shared = RedisRecommendationCache.from_url(settings.redis_url, ttl, events=events)
        if settings.near_cache_seconds <= 0:
            return CoalescingCache(shared)
        listener = invalidation_listener(settings.redis_url)
        near = RedisNearCache(shared, listener, settings.near_cache_seconds, events=events)
        return CoalescingCache(near)
    return CoalescingCache(InProcessRecommendationCache(ttl_seconds=ttl, events=events))


def _request_features(settings: Settings, features: FeatureSource) -> FeatureSource:
    """With REC_SEEN_FROM=memory a miss reads features from memory too (refreshed with the catalogue)."""
    return InMemoryFeatures(features) if settings.seen_from == "memory" else features


def _features_refresh(features: FeatureSource) -> Callable[[], Awaitable[None]] | None:
    return features.refresh if isinstance(features, InMemoryFeatures) else None
