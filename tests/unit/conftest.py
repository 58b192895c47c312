"""Use cases over the in-memory fakes, taken from the one composition root (`entrypoints.container`)
with every driven adapter overridden: the unit tests run the graph the service runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from dependency_injector import providers

from adapters.cache.in_process_cache import InProcessRecommendationCache
from adapters.memory.engine import FakeEngine
from adapters.memory.events import InMemoryAdminBlacklist, InMemoryEventMerger, InMemoryHotEventStore
from adapters.memory.online import InMemoryExperimentStore, InMemoryOnlineCounts
from adapters.memory.source import InMemoryInteractionSource
from adapters.memory.stores import InMemoryArtifactStore, InMemoryModelRegistry, SequentialIds, SteppingClock
from adapters.memory.tuner import FakeTuner
from application.activate_model import ActivateModel
from application.blacklist_admin import BlacklistAdmin
from application.experiment_views import ExperimentQueries
from application.experiments import Experiments
from application.follow_active_model import FollowActiveModel
from application.hot_seen import HotSeen
from application.job_runner import JobRunner
from application.list_tracker import ListTracker
from application.recommend_for_user import RecommendForUser
from application.record_interaction import RecordInteraction
from application.recover_jobs import RecoverJobs
from application.refresh_catalogue import RefreshCatalogue
from application.relevant_titles import RelevantTitles
from application.serving_state import ServingState
from application.train_model import TrainModel
from application.training_guard import TrainingGuard
from application.training_pipeline import TrainingPipeline, TrainingPolicy, TrainingPorts
from application.tune_model import TuneModel
from entrypoints.container import Container
from entrypoints.settings import Settings


@dataclass
class World:
    container: Container
    source: InMemoryInteractionSource
    engine: FakeEngine
    artifacts: InMemoryArtifactStore
    registry: InMemoryModelRegistry
    cache: InProcessRecommendationCache
    events: InMemoryHotEventStore
    admin_list: InMemoryAdminBlacklist
    tuner: FakeTuner
    state: ServingState
    guard: TrainingGuard
    activate: ActivateModel
    refresh: RefreshCatalogue
    ports: TrainingPorts
    pipeline: TrainingPipeline
    runner: JobRunner
    train: TrainModel
    tune: TuneModel
    recommend: RecommendForUser
    relevant: RelevantTitles
    record: RecordInteraction
    hot_seen: HotSeen
    blacklist: BlacklistAdmin
    recover: RecoverJobs
    follow: FollowActiveModel
    online: InMemoryOnlineCounts
    experiment_store: InMemoryExperimentStore
    tracker: ListTracker
    experiments: Experiments
    experiment_queries: ExperimentQueries


def demo_source() -> InMemoryInteractionSource:
    source = InMemoryInteractionSource()
    for title in range(1, 31):
        source.titles[title] = True
    # users 1..5 like low ids, title popularity decreasing with id
    for user in range(1, 6):
        for title in range(1, 11 - user):
            source.add(user, title, "bookmark")
    source.add(1, 20, "rating", 2.0)  # a low rating: seen, not a positive
    return source


def build_world(policy: TrainingPolicy | None = None) -> World:
    source = demo_source()
    fakes: dict[str, Any] = {
        "settings": Settings(_env_file=None, train_cron="off"),  # type: ignore[call-arg]
        "source": source,
        "features": source,
        "engine": FakeEngine(),
        "artifacts": InMemoryArtifactStore(),
        "registry": InMemoryModelRegistry(),
        "cache": InProcessRecommendationCache(ttl_seconds=3600),
        "hot_events": InMemoryHotEventStore(),
        "admin_blacklist_store": InMemoryAdminBlacklist(),
        "event_merger": InMemoryEventMerger(),
        "tuner": FakeTuner(),
        "clock": SteppingClock(),
        "ids": SequentialIds(),
        "online_counts": InMemoryOnlineCounts(),
        "experiment_store": InMemoryExperimentStore(),
    }
    if policy is not None:
        fakes["training_policy"] = policy
    container = Container()
    for name, fake in fakes.items():
        getattr(container, name).override(providers.Object(fake))
    return _world(container, fakes)


def _world(c: Container, fakes: dict[str, Any]) -> World:
    """The one place naming the container's use-case providers (a rename is fixed here alone)."""
    return World(
        container=c,
        source=fakes["source"],
        engine=fakes["engine"],
        artifacts=fakes["artifacts"],
        registry=fakes["registry"],
        cache=fakes["cache"],
        events=fakes["hot_events"],
        admin_list=fakes["admin_blacklist_store"],
        tuner=fakes["tuner"],
        state=c.state(),
        guard=c.guard(),
        activate=c.activate_model(),
        refresh=c.refresh_catalogue(),
        ports=c.training_ports(),
        pipeline=c.training_pipeline(),
        runner=c.job_runner(),
        train=c.train_model(),
        tune=c.tune_model(),
        recommend=c.recommend_for_user(),
        relevant=c.relevant_titles(),
        record=c.record_interaction(),
        hot_seen=c.hot_seen(),
        blacklist=c.blacklist_admin(),
        recover=c.recover_jobs(),
        follow=c.follow_active_model(),
        online=fakes["online_counts"],
        experiment_store=fakes["experiment_store"],
        tracker=c.list_tracker(),
        experiments=c.experiments(),
        experiment_queries=c.experiment_queries(),
    )


@pytest.fixture
async def world() -> World:
    w = build_world()
    await w.refresh.execute()
    return w


def hold_training(world: World) -> asyncio.Event:
    """Make the world's engine wait inside `train` until the returned event is set."""
    gate = asyncio.Event()
    original = world.engine.train

    async def held(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await original(*args, **kwargs)

    world.engine.train = held  # type: ignore[method-assign]
    return gate
