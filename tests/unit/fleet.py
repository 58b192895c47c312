"""Several service processes over one in-memory registry (the trainer lease row inside it): each a
container of its own with the fakes, sharing the registry, the artifacts, a clock and a monotonic
clock the tests move by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dependency_injector import providers

from adapters.cache.in_process_cache import InProcessRecommendationCache
from adapters.memory.broadcast import InMemoryBroadcastBus
from adapters.memory.engine import FakeEngine
from adapters.memory.events import InMemoryAdminBlacklist, InMemoryEventMerger, InMemoryHotEventStore
from adapters.memory.lease import InMemoryTrainerLease
from adapters.memory.online import InMemoryExperimentStore, InMemoryOnlineCounts
from adapters.memory.registry import InMemoryModelRegistry
from adapters.memory.stores import InMemoryArtifactStore, SequentialIds
from adapters.memory.tuner import FakeTuner
from application.cancel_job import CancelJob
from application.job_dispatcher import JobDispatcher
from application.job_runner import JobRunner
from application.ports import Clock
from application.recover_jobs import RecoverJobs
from application.serving_state import ServingState
from application.train_model import TrainModel
from application.trainer_election import Change, TrainerElection
from application.tune_model import TuneModel
from entrypoints.container import Container
from entrypoints.settings import Settings
from tests.unit.conftest import demo_source

LEASE_SECONDS = 15.0


class ManualClock(Clock):
    def __init__(self) -> None:
        self.moment = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.moment

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)
        self.mono += seconds


class SharedIds(SequentialIds):
    """One sequence for the fleet, so two processes never make the same id."""


@dataclass
class Replica:
    name: str
    container: Container
    engine: FakeEngine
    tuner: FakeTuner
    state: ServingState
    election: TrainerElection
    runner: JobRunner
    train: TrainModel
    tune: TuneModel
    dispatcher: JobDispatcher
    recover: RecoverJobs
    cancel: CancelJob

    async def step(self) -> Change | None:
        """One election step, with the duties the runtime takes on a change."""
        change = await self.election.step()
        if change is Change.GAINED:
            await self.recover.execute(self.election.job_fence())
        elif change is Change.LOST:
            self.runner.lose_lease()
        return change


@dataclass
class Fleet:
    registry: InMemoryModelRegistry
    artifacts: InMemoryArtifactStore
    clock: ManualClock
    ids: SharedIds
    bus: InMemoryBroadcastBus = field(default_factory=InMemoryBroadcastBus)

    def replica(self, name: str, candidate: bool = True, broadcast: bool = False) -> Replica:
        """`broadcast`: the replica joins the fleet's bus and follows what the others announce
        (call from a running event loop)."""
        source = demo_source()
        engine, tuner = FakeEngine(), FakeTuner()
        lease = InMemoryTrainerLease(self.registry)
        election = TrainerElection(
            lease,
            self.clock,
            name,
            LEASE_SECONDS,
            candidate=candidate,
            monotonic=self.clock.monotonic,
        )
        fakes: dict[str, Any] = {
            "settings": Settings(_env_file=None, train_cron="0 3 * * *" if candidate else "off"),  # type: ignore[call-arg]
            "source": source,
            "features": source,
            "engine": engine,
            "artifacts": self.artifacts,
            "registry": self.registry,
            "cache": InProcessRecommendationCache(ttl_seconds=3600),
            "hot_events": InMemoryHotEventStore(),
            "admin_blacklist_store": InMemoryAdminBlacklist(),
            "event_merger": InMemoryEventMerger(),
            "tuner": tuner,
            "clock": self.clock,
            "ids": self.ids,
            "trainer_lease": lease,
            "trainer_election": election,
            "online_counts": InMemoryOnlineCounts(),
            "experiment_store": InMemoryExperimentStore(),
        }
        if broadcast:
            fakes["broadcast"] = self.bus.join()
        c = Container()
        for key, fake in fakes.items():
            getattr(c, key).override(providers.Object(fake))
        if broadcast:
            c.broadcast().listen(c.follow_replicas())
        return Replica(
            name,
            c,
            engine,
            tuner,
            c.state(),
            election,
            c.job_runner(),
            c.train_model(),
            c.tune_model(),
            c.scheduler(),
            c.recover_jobs(),
            c.cancel_job(),
        )


def new_fleet() -> Fleet:
    return Fleet(InMemoryModelRegistry(), InMemoryArtifactStore(), ManualClock(), SharedIds())
