"""JoinTuning over fakes: only a running job's search is joined, once, and its trials stop when it ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from adapters.memory.source import InMemoryInteractionSource
from adapters.memory.stores import InMemoryModelRegistry
from application.join_tuning import JoinTuning
from application.ports import KeepGoing, SharedSearch, TrainingData
from domain.model_version import TrainParams
from domain.training_job import JobTrigger, TrainingJob

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@dataclass
class FakeSearch(SharedSearch):
    open: list[str]
    joined: list[str] = field(default_factory=list)
    answers: list[bool] = field(default_factory=list)

    async def open_searches(self) -> list[str]:
        return list(self.open)

    async def join(self, search_id: str, data: TrainingData, keep_going: KeepGoing) -> int:
        self.joined.append(search_id)
        self.answers.append(await keep_going())
        return 3


async def test_a_running_jobs_search_is_joined_once_and_a_finished_one_never() -> None:
    registry = InMemoryModelRegistry()
    running = TrainingJob("j-run", JobTrigger.TUNE, TrainParams(), NOW).start(NOW)
    ended = TrainingJob("j-end", JobTrigger.TUNE, TrainParams(), NOW).start(NOW).cancel(NOW)
    for job in (ended, running):
        await registry.save_job(job)
    search = FakeSearch(open=["j-end", "j-unknown", "j-run"])
    join = JoinTuning(search, registry, InMemoryInteractionSource())

    assert await join.execute() == 3
    assert await join.execute() == 0  # that search is done for this worker
    assert search.joined == ["j-run"] and search.answers == [True]


async def test_keep_going_turns_false_when_the_job_ends() -> None:
    registry = InMemoryModelRegistry()
    job = TrainingJob("j-1", JobTrigger.TUNE, TrainParams(), NOW).start(NOW)
    await registry.save_job(job)

    class Cancelling(FakeSearch):
        async def join(self, search_id: str, data: TrainingData, keep_going: KeepGoing) -> int:
            before = await keep_going()
            await registry.save_job(job.cancel(NOW))  # cancelled meanwhile
            self.answers.extend([before, await keep_going()])
            return 1

    search = Cancelling(open=["j-1"])
    assert await JoinTuning(search, registry, InMemoryInteractionSource()).execute() == 1
    assert search.answers == [True, False]
