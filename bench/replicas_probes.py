"""What `make bench-replicas` runs beside the replicas: the trainer sampler (every replica's
`rec_trainer_leader` every 100 ms) and the load (recommendations from all three, continuously)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence

import httpx

from bench.replicas_analysis import Answer, LeaderSample
from bench.replicas_stack import Replica

SAMPLE_SECONDS = 0.1
ASK_SECONDS = 0.5  # one replica's /metrics: past it, the replica counts as not answering
USERS = range(1, 944)  # MovieLens 100k's users


def metric_value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` carrying `labels` in a /metrics text."""
    pairs = [f'{key}="{value}"' for key, value in labels.items()]
    total = 0.0
    for line in text.splitlines():
        family = line.split("{", 1)[0].split(" ", 1)[0]
        if family == name and all(pair in line for pair in pairs):
            total += float(line.rsplit(" ", 1)[-1])
    return total


async def metric(client: httpx.AsyncClient, replica: Replica, name: str, **labels: str) -> float:
    return metric_value((await client.get(f"{replica.url}/metrics")).text, name, **labels)


class LeaderSampler:
    """Every 100 ms, every replica's `rec_trainer_leader` at once: 0 for a replica that is dead (or
    refuses connections), None for one that did not answer within ASK_SECONDS."""

    def __init__(self, replicas: Sequence[Replica]) -> None:
        self.replicas = list(replicas)
        self.samples: list[LeaderSample] = []
        self.unanswered = [0 for _ in self.replicas]  # asks past ASK_SECONDS, per replica
        self._client = httpx.AsyncClient(timeout=ASK_SECONDS)

    async def run(self) -> None:
        try:
            while True:
                began = time.monotonic()
                flags = await asyncio.gather(*(self._flag(r) for r in self.replicas))
                self.samples.append(LeaderSample(began, tuple(flags)))
                for number, flag in enumerate(flags):
                    self.unanswered[number] += flag is None
                await asyncio.sleep(max(0.0, SAMPLE_SECONDS - (time.monotonic() - began)))
        finally:
            await self._client.aclose()

    def leader(self) -> Replica | None:
        """The one holder in the last sample (None: none or several)."""
        last = self.samples[-1] if self.samples else None
        if last is None or last.leaders != 1:
            return None
        return self.replicas[next(i for i, flag in enumerate(last.flags) if flag == 1)]

    async def _flag(self, replica: Replica) -> int | None:
        if not replica.alive:
            return 0
        try:
            text = (await self._client.get(f"{replica.url}/metrics")).text
        except httpx.ConnectError:
            return 0  # nothing listens: dead, or not serving yet
        except httpx.HTTPError:
            return None
        return int(metric_value(text, "rec_trainer_leader"))


class Load:
    """`per_replica` clients per replica asking GET /titles/recommendations for random users, each
    answer recorded (replica, sent, received, status, model_id); a transport error is status 0."""

    def __init__(self, replicas: Sequence[Replica], per_replica: int = 2) -> None:
        self.replicas = list(replicas)
        self.per_replica = per_replica
        self.answers: list[Answer] = []

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=len(self.replicas) * self.per_replica)
        async with httpx.AsyncClient(timeout=10, limits=limits) as client:
            workers = [
                self._worker(client, number, seed)
                for number in range(len(self.replicas))
                for seed in range(self.per_replica)
            ]
            await asyncio.gather(*workers)

    async def _worker(self, client: httpx.AsyncClient, number: int, seed: int) -> None:
        rng = random.Random(number * 1000 + seed)
        url = f"{self.replicas[number].url}/titles/recommendations"
        while True:
            sent = time.monotonic()
            try:
                response = await client.get(url, params={"user_id": rng.choice(USERS), "k": 10})
                status = response.status_code
                model_id = response.json().get("model_id") if status == 200 else None
            except (httpx.HTTPError, ValueError):
                status, model_id = 0, None
            self.answers.append(Answer(number, sent, time.monotonic(), status, model_id))


async def until(check: Callable[[], Awaitable[bool]], seconds: float, step: float = 0.01) -> float | None:
    """Poll `check` until true: the seconds it took, or None past `seconds`."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if await check():
            return time.monotonic() - began
        await asyncio.sleep(step)
    return None
