"""The ports: what the use cases need from the outside world, as `typing.Protocol`s, one file each.

Use cases import them from here; adapters subclass the Protocol they implement.
"""

from application.ports.admin_blacklist_store import AdminBlacklistStore
from application.ports.artifact_store import ArtifactStore
from application.ports.broadcast_receiver import BroadcastReceiver
from application.ports.clock import Clock
from application.ports.experiment_store import ExperimentStore
from application.ports.feature_source import FeatureOwner, FeatureRows, FeatureSource
from application.ports.health import ComponentHealth, HealthReport
from application.ports.hot_event_history import HotEventHistory
from application.ports.hot_event_store import AttributedCounts, HotEventStore
from application.ports.id_generator import IdGenerator
from application.ports.interaction_source import Catalogue, InteractionSource, TrainingData
from application.ports.interaction_tail import InteractionTail
from application.ports.job_scheduler import JobScheduler
from application.ports.job_store import JobStore
from application.ports.model_registry import ModelRegistry
from application.ports.online_count_store import ContextLists, OnlineCountStore
from application.ports.recommendation_cache import CacheKey, RecommendationCache
from application.ports.recommender_engine import (
    ArtifactBundle,
    EpochCallback,
    ForwardCheck,
    ForwardResult,
    RecommenderEngine,
    TrainingOutcome,
)
from application.ports.replica_broadcast import NO_BROADCAST, NoBroadcast, ReplicaBroadcast
from application.ports.scorer import Scorer
from application.ports.seen_index import SeenIndex, SeenPairs
from application.ports.service_events import NO_EVENTS, NoServiceEvents, ServiceEvents
from application.ports.shared_search import KeepGoing, SharedSearch
from application.ports.source_lookup import SourceLookup, TitleRecord
from application.ports.trainer_lease import TrainerLease
from application.ports.training_data_merger import TrainingDataMerger
from application.ports.tuner import TuneCallback, Tuner

__all__ = [
    "NO_BROADCAST",
    "NO_EVENTS",
    "AdminBlacklistStore",
    "ArtifactBundle",
    "ArtifactStore",
    "AttributedCounts",
    "BroadcastReceiver",
    "CacheKey",
    "Catalogue",
    "Clock",
    "ComponentHealth",
    "ContextLists",
    "EpochCallback",
    "ExperimentStore",
    "FeatureOwner",
    "FeatureRows",
    "FeatureSource",
    "ForwardCheck",
    "ForwardResult",
    "HealthReport",
    "HotEventHistory",
    "HotEventStore",
    "IdGenerator",
    "InteractionSource",
    "InteractionTail",
    "JobScheduler",
    "JobStore",
    "KeepGoing",
    "ModelRegistry",
    "NoBroadcast",
    "NoServiceEvents",
    "OnlineCountStore",
    "RecommendationCache",
    "RecommenderEngine",
    "ReplicaBroadcast",
    "Scorer",
    "SeenIndex",
    "SeenPairs",
    "ServiceEvents",
    "SharedSearch",
    "SourceLookup",
    "TitleRecord",
    "TrainerLease",
    "TrainingData",
    "TrainingDataMerger",
    "TrainingOutcome",
    "TuneCallback",
    "Tuner",
]
