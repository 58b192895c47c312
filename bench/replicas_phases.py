"""The measured phases of `make bench-replicas` over the running stack: activations under load, hot
events, an admin training sent to a non-trainer, and the trainer's SIGKILL with a job scheduled
during the outage. (Tuning with and without workers: `bench/replicas_tuning.py`.)"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.common import say
from bench.replicas_analysis import Switch, first_leader_after, mixing_violations, switch_seconds
from bench.replicas_probes import ASK_SECONDS, USERS, LeaderSampler, Load, metric, until
from bench.replicas_stack import LEASE_SECONDS, Replica, kill

SMALL: dict[str, str | int] = {"epochs": 5, "no_components": 16}


@dataclass
class Activations:
    seconds: list[float | None] = field(default_factory=list)  # per activation; None: never all three
    requests: int = 0
    failed: int = 0
    mixing: int = 0
    load_seconds: float = 0.0


async def activations(replicas: list[Replica], versions: tuple[str, str], count: int) -> Activations:
    """`count` activations on replica 0, alternating the two versions, under load on all three."""
    load = Load(replicas)
    running = asyncio.create_task(load.run())
    switches: list[Switch] = []
    began = time.monotonic()
    try:
        await asyncio.sleep(2.0)  # the load settles
        async with httpx.AsyncClient(timeout=60) as client:
            for number in range(count):
                target = versions[(number + 1) % 2]  # the first is active: start with the second
                asked = time.monotonic()
                done = await client.post(f"{replicas[0].url}/admin/models/{target}/activate")
                switch = Switch(target, asked, time.monotonic())
                if done.status_code != 200:
                    raise RuntimeError(f"activation refused: {done.status_code} {done.text}")
                switches.append(switch)
                start = len(load.answers)

                async def everywhere(switch: Switch = switch, start: int = start) -> bool:
                    return switch_seconds(load.answers[start:], switch, len(replicas)) is not None

                await until(everywhere, 10.0, step=0.02)
                await asyncio.sleep(0.3)  # answers after the switch, before the next one
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    answers = list(load.answers)
    return Activations(
        seconds=[switch_seconds(answers, s, len(replicas)) for s in switches],
        requests=len(answers),
        failed=sum(1 for a in answers if a.status != 200),
        mixing=mixing_violations(answers, switches, set(versions)),
        load_seconds=time.monotonic() - began,
    )


@dataclass
class HotEvents:
    seconds: list[float | None] = field(default_factory=list)  # until B and C exclude the title
    moved: int = 0  # repetitions where B's and C's other scores changed too (the fold-in)


async def hot_events(replicas: list[Replica], count: int) -> HotEvents:
    """A hot event on replica A (0); the time until B's and C's next lists for the user exclude it."""
    a, others = replicas[0], replicas[1:]
    result = HotEvents()
    users = random.Random(7).sample(list(USERS), count)
    async with httpx.AsyncClient(timeout=10) as client:

        async def listed(replica: Replica, user: int) -> dict[str, Any]:
            url = f"{replica.url}/titles/recommendations"
            body: dict[str, Any] = (await client.get(url, params={"user_id": user, "k": 50})).json()
            return body

        for user in users:
            before = [await listed(r, user) for r in others]
            title = before[0]["item_ids"][5]
            event = {"user_id": user, "title_id": title, "int_type": "bookmark"}
            accepted = await client.post(f"{a.url}/rec/hot/interact", json=event)
            if accepted.status_code != 202:
                raise RuntimeError(f"hot event refused: {accepted.status_code} {accepted.text}")
            after: list[dict[str, Any]] = [{}, {}]

            async def excluded(
                user: int = user, title: int = title, after: list[dict[str, Any]] = after
            ) -> bool:
                after[:] = await asyncio.gather(*(listed(r, user) for r in others))
                return all(title not in body["item_ids"] for body in after)

            result.seconds.append(await until(excluded, 5.0))
            result.moved += all(_moved(old, new) for old, new in zip(before, after, strict=True))
    return result


def _moved(before: dict[str, Any], after: dict[str, Any]) -> bool:
    old = dict(zip(before["item_ids"], before["scores"], strict=True))
    new = dict(zip(after.get("item_ids", []), after.get("scores", []), strict=True))
    return any(old[t] != new[t] for t in old.keys() & new.keys())


@dataclass
class TrainWait:
    replica: str
    status: int
    job: dict[str, Any]
    seconds: float
    ran_on_trainer: bool


async def train_wait(replicas: list[Replica], sampler: LeaderSampler) -> TrainWait:
    """`/admin/train?wait=true` on a replica that is not the trainer."""
    trainer = sampler.leader()
    if trainer is None:
        raise RuntimeError("no single trainer to compare with")
    follower = next(r for r in replicas if r is not trainer)
    labels = {"trigger": "manual", "status": "succeeded"}
    async with httpx.AsyncClient(timeout=600) as client:
        before = await metric(client, trainer, "rec_training_jobs_total", **labels)
        began = time.monotonic()
        params = {**SMALL, "wait": "true", "activate": "false"}
        done = await client.post(f"{follower.url}/admin/train", params=params)
        seconds = time.monotonic() - began
        after = await metric(client, trainer, "rec_training_jobs_total", **labels)
    return TrainWait(follower.name, done.status_code, done.json(), seconds, after == before + 1)


@dataclass
class Takeover:
    killed: str
    seconds: float | None  # from the SIGKILL until another replica holds the lease
    window: tuple[float, float]  # around the takeover: leaderless samples allowed inside
    scheduled_before_takeover: bool
    job_status: str
    scheduled_jobs: int  # jobs of the "scheduled" trigger that succeeded, over the survivors' metrics
    new_versions: int


async def kill_the_trainer(replicas: list[Replica], sampler: LeaderSampler) -> Takeover:
    """SIGKILL the trainer; a survivor schedules a small training for 1 s later (inside the outage)."""
    trainer = sampler.leader()
    if trainer is None:
        raise RuntimeError("no single trainer to kill")
    survivors = [r for r in replicas if r is not trainer]
    async with httpx.AsyncClient(timeout=30) as client:
        versions_before = len((await client.get(f"{survivors[0].url}/admin/models")).json()["models"])
        killed_at = time.monotonic()
        kill(trainer.process)
        say(f"bench-replicas: SIGKILL {trainer.name} (the trainer)")
        at = datetime.now(UTC) + timedelta(seconds=1)
        params = {**SMALL, "scheduled_at": at.isoformat()}
        stored = await client.post(f"{survivors[0].url}/admin/schedule-training", params=params)
        if stored.status_code != 201:
            raise RuntimeError(f"schedule refused: {stored.status_code} {stored.text}")
        job_id = stored.json()["job_id"]
        await until(_async(lambda: first_leader_after(sampler.samples, killed_at) is not None), 30, 0.05)
        taken = first_leader_after(sampler.samples, killed_at)
        taken_wall = datetime.now(UTC) - timedelta(seconds=time.monotonic() - taken) if taken else None

        async def finished() -> bool:
            job = (await client.get(f"{survivors[1].url}/admin/jobs/{job_id}")).json()
            return job["status"] in ("succeeded", "failed", "cancelled")

        await until(finished, 300, 0.5)
        await asyncio.sleep(3)  # more polls: still one run
        job = (await client.get(f"{survivors[1].url}/admin/jobs/{job_id}")).json()
        labels = {"trigger": "scheduled", "status": "succeeded"}
        runs = [await metric(client, r, "rec_training_jobs_total", **labels) for r in survivors]
        versions_after = len((await client.get(f"{survivors[0].url}/admin/models")).json()["models"])
    return Takeover(
        killed=trainer.name,
        seconds=None if taken is None else taken - killed_at,
        # a round begun just before the kill (its asks in flight) already finds the trainer dead
        window=(killed_at - ASK_SECONDS, killed_at + LEASE_SECONDS + 2),
        scheduled_before_takeover=taken_wall is not None and at < taken_wall,
        job_status=job["status"],
        scheduled_jobs=int(sum(runs)),
        new_versions=versions_after - versions_before,
    )


def _async(check: Any) -> Any:
    async def run() -> bool:
        return bool(check())

    return run
