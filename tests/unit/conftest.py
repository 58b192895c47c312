"""Use cases wired over the in-memory fakes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.cache.in_process_cache import InProcessRecommendationCache
from adapters.memory.engine import FakeEngine
from adapters.memory.source import InMemoryInteractionSource
from adapters.memory.stores import InMemoryArtifactStore, InMemoryModelRegistry, SequentialIds, SteppingClock
from application.activate_model import ActivateModel
from application.job_runner import JobRunner
from application.recommend_for_user import RecommendForUser
from application.refresh_catalogue import RefreshCatalogue
from application.relevant_titles import RelevantTitles
from application.serving_state import ServingState
from application.train_model import TrainModel
from application.training_guard import TrainingGuard
from application.training_pipeline import TrainingPipeline, TrainingPolicy, TrainingPorts


@dataclass
class World:
    source: InMemoryInteractionSource
    engine: FakeEngine
    artifacts: InMemoryArtifactStore
    registry: InMemoryModelRegistry
    cache: InProcessRecommendationCache
    state: ServingState
    guard: TrainingGuard
    activate: ActivateModel
    refresh: RefreshCatalogue
    ports: TrainingPorts
    pipeline: TrainingPipeline
    runner: JobRunner
    train: TrainModel
    recommend: RecommendForUser
    relevant: RelevantTitles


def build_world(policy: TrainingPolicy | None = None) -> World:
    source = InMemoryInteractionSource()
    for title in range(1, 31):
        source.titles[title] = True
    # users 1..5 like low ids, title popularity decreasing with id
    for user in range(1, 6):
        for title in range(1, 11 - user):
            source.add(user, title, "bookmark")
    source.add(1, 20, "rating", 2.0)  # a low rating: seen, not a positive
    engine, artifacts, registry = FakeEngine(), InMemoryArtifactStore(), InMemoryModelRegistry()
    cache, state, guard = InProcessRecommendationCache(ttl_seconds=3600), ServingState(), TrainingGuard()
    activate = ActivateModel(registry, artifacts, engine, state)
    refresh = RefreshCatalogue(source, state)
    ports = TrainingPorts(source, engine, artifacts, registry, registry, SteppingClock(), SequentialIds())
    pipeline = TrainingPipeline(ports, state, activate, policy or TrainingPolicy())
    runner = JobRunner(registry, ports.clock, ports.ids, guard, refresh)
    return World(
        source,
        engine,
        artifacts,
        registry,
        cache,
        state,
        guard,
        activate,
        refresh,
        ports,
        pipeline,
        runner,
        TrainModel(runner, pipeline),
        RecommendForUser(state, source, cache),
        RelevantTitles(state, cache),
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
