"""The markdown report of `make bench-replicas`: one table of the checks, then each phase's figures."""

from __future__ import annotations

from dataclasses import dataclass

from bench.replicas_analysis import LeaderReport, percentile
from bench.replicas_phases import Activations, HotEvents, Takeover, TrainWait
from bench.replicas_probes import ASK_SECONDS
from bench.replicas_stack import LEASE_SECONDS
from bench.replicas_tuning import TuningRun


@dataclass(frozen=True, slots=True)
class Results:
    conditions: list[str]
    leaders: LeaderReport
    takeover: Takeover
    activations: Activations
    hot: HotEvents
    train: TrainWait
    tuning: tuple[TuningRun, TuningRun] | None
    unanswered: dict[str, int]  # asks of the sampler a replica did not answer in time


def _ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    return (
        " / ".join(f"{percentile(values, q) * 1000:.0f}" for q in (50, 99)) + f" / {max(values) * 1000:.0f}"
    )


def _verdict(ok: bool) -> str:
    return "yes" if ok else "**NO**"


def render(r: Results) -> str:
    lines = ["### Conditions", *(f"- {c}" for c in r.conditions), "", "### Checks", ""]
    lines += ["| check | measured | target | met |", "|---|---|---|---|"]
    lines += _checks(r)
    lines += ["", *_details(r)]
    return "\n".join(lines)


def _checks(r: Results) -> list[str]:
    lead, take, act, hot = r.leaders, r.takeover, r.activations, r.hot
    switched = [s for s in act.seconds if s is not None]
    excluded = [s for s in hot.seconds if s is not None]
    bound = LEASE_SECONDS + 2
    rows = [
        (
            "exactly one trainer (every 100 ms)",
            f"{lead.samples} samples over {lead.seconds:.0f} s; {lead.two_or_more} with 2+ leaders; "
            f"{len(lead.unexplained)} leaderless runs outside the takeover; {lead.incomplete} "
            "leaderless with a replica not answering (unknown, skipped)",
            "0 and 0",
            lead.exactly_one,
        ),
        (
            "SIGKILL the trainer: another holds the lease after",
            "never" if take.seconds is None else f"{take.seconds:.2f} s",
            f"<= {bound} s (lease {LEASE_SECONDS} s + 2)",
            take.seconds is not None and take.seconds <= bound,
        ),
        (
            "a job scheduled inside the outage runs exactly once",
            f"{take.job_status}; {take.scheduled_jobs} run(s), {take.new_versions} new version(s); "
            f"due before the takeover: {'yes' if take.scheduled_before_takeover else 'no'}",
            "succeeded, 1, 1",
            take.job_status == "succeeded" and take.scheduled_jobs == 1 and take.new_versions == 1,
        ),
        (
            f"{len(act.seconds)} activations under load: until all three serve it (p50 / p99 / max ms)",
            _ms(switched)
            + ("" if len(switched) == len(act.seconds) else f"; {len(act.seconds) - len(switched)} never"),
            "p99 <= 1000",
            len(switched) == len(act.seconds) and percentile(switched, 99) <= 1.0,
        ),
        ("failed requests during the activations", f"{act.failed} of {act.requests:,}", "0", act.failed == 0),
        ("answers mixing versions", str(act.mixing), "0", act.mixing == 0),
        (
            f"hot event on A, {len(hot.seconds)} times: until B and C exclude the title (p50 / p99 / max ms)",
            _ms(excluded)
            + ("" if len(excluded) == len(hot.seconds) else f"; {len(hot.seconds) - len(excluded)} never"),
            "<= 1000",
            len(excluded) == len(hot.seconds) and max(excluded, default=9.0) <= 1.0,
        ),
        (
            "/admin/train?wait=true on a non-trainer",
            f"HTTP {r.train.status}, {r.train.job.get('status')} in {r.train.seconds:.1f} s "
            f"(ran on the trainer: {'yes' if r.train.ran_on_trainer else 'no'})",
            "200, succeeded",
            r.train.status == 200 and r.train.job.get("status") == "succeeded" and r.train.ran_on_trainer,
        ),
    ]
    return [f"| {name} | {measured} | {target} | {_verdict(ok)} |" for name, measured, target, ok in rows]


def _details(r: Results) -> list[str]:
    act, hot, lead = r.activations, r.hot, r.leaders
    rate = lead.samples / max(lead.seconds, 1e-9)
    gaps = ", ".join(f"{g.seconds:.2f} s" for g in lead.gaps) or "none"
    allowed = ", ".join(f"{g.seconds:.2f} s" for g in lead.allowed) or "none"
    out = [
        "### Details",
        f"- Trainer samples: {lead.samples} rounds of the three `/metrics` ({rate:.1f} per second), "
        f"{lead.leader_changes} change(s) of holder; leaderless runs: {gaps} (inside the takeover "
        f"window after the kill: {allowed}). Asks not answered within {ASK_SECONDS} s: "
        + ", ".join(f"{name} {count}" for name, count in r.unanswered.items())
        + ".",
        f"- Load during the activations: {act.requests:,} recommendations in {act.load_seconds:.0f} s "
        f"({act.requests / max(act.load_seconds, 1e-9):,.0f}/s over the three replicas, 2 clients each).",
        f"- Hot events: the other scores of both B's and C's lists moved too (the fold-in) in "
        f"{hot.moved} of {len(hot.seconds)}.",
        f"- Train on a non-trainer ({r.train.replica}): job `{r.train.job.get('job_id')}`, "
        f"model `{r.train.job.get('model_id')}`.",
        f"- Killed: {r.takeover.killed}.",
    ]
    if r.tuning is not None:
        out += ["", *_tuning(*r.tuning)]
    return out


def _tuning(alone: TuningRun, joined: TuningRun) -> list[str]:
    rows = [
        "| tuning | status | job s | search s | trials by process | component-epochs | per search s |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in (alone, joined):
        by = ", ".join(str(n) for n in sorted(run.trials_by_process.values(), reverse=True))
        name = "trainer alone" if run.workers == 0 else f"trainer + {run.workers} tune-workers"
        rows.append(
            f"| {name} | {run.status} | {run.job_seconds:.1f} | {run.search_seconds:.1f} | {by} | "
            f"{run.work:,.0f} | {run.work_rate:,.0f} |"
        )
    rows.append(
        f"\nWith the workers (alone / with): job time {alone.job_seconds / joined.job_seconds:.2f}x, "
        f"search time {alone.search_seconds / joined.search_seconds:.2f}x, "
        f"search throughput (component-epochs per second) {joined.work_rate / alone.work_rate:.2f}x."
    )
    return rows
