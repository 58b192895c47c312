"""The quality benchmark's rows and tables: every row measured by `quality_metrics.evaluate` on its
protocol's split, then printed in the table its protocol belongs to."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.quality_data import Split
from bench.quality_metrics import PerUser, coverage, evaluate, warm_mask

# Microsoft Recommenders' MovieLens 100k table (their README, "Benchmarks"; 75/25 stratified split,
# k = 10); MAP there is `map` (divided by the held-out count). MAP@10 (`map_at_k`) is published for
# SAR only, in their PR #2372 (the notebooks re-run after the change).
PUBLISHED = (
    # model, P@10, R@10, NDCG@10, MAP, MAP@10
    ("BiVAE", 0.411771, 0.219145, 0.475077, 0.146126, None),
    ("BPR", 0.388229, 0.212522, 0.441997, 0.132478, None),
    ("LightGCN", 0.379626, 0.144336, 0.419846, 0.088526, None),
    ("NCF", 0.347296, 0.180775, 0.396118, 0.107720, None),
    ("SAR", 0.330753, 0.176385, 0.382461, 0.110591, 0.244722),
    ("FastAI", 0.130329, 0.053824, 0.147866, 0.025503, None),
    ("SVD", 0.091198, 0.032783, 0.095930, 0.012873, None),
    ("ALS (Spark)", 0.048462, 0.017796, 0.044239, 0.004732, None),
)


@dataclass(frozen=True)
class Row:
    protocol: str
    model: str
    seconds: float
    protocol_users: PerUser  # each user's training positives excluded
    served_users: PerUser  # every training title excluded, or the lists RecommendForUser returned
    warm: np.ndarray  # aligned with protocol_users.users
    coverage: float  # of the top 10 with the protocol's exclusion, over every user (`cold`: the new ones)


def measure(
    split: Split, model: str, scores: np.ndarray, seconds: float, served: np.ndarray | None = None
) -> Row:
    users = split.new_users if len(split.new_users) else np.arange(len(split.user_ids))
    strict = evaluate(scores, split.train_positive, split.test)
    as_served = evaluate(served, split.train_seen, split.test) if served is not None else None
    if as_served is None:
        as_served = evaluate(scores, split.train_seen, split.test)
    return Row(
        split.name,
        model,
        seconds,
        strict,
        as_served,
        warm_mask(strict, split.train_positive),
        coverage(scores[users], split.train_positive[users]),
    )


def _header(*columns: str) -> str:
    return f"| {' | '.join(columns)} |\n|{'---|' * len(columns)}"


MAIN_HEADER = _header(
    "protocol", "model", "P@10", "R@10", "AUC", "P@10 as served", "R@10 as served", "seconds"
)
SEGMENT_HEADER = _header(
    "protocol",
    "model",
    "warm users",
    "P@10 warm",
    "R@10 warm",
    "cold users",
    "P@10 cold",
    "R@10 cold",
    "coverage@10",
)
COLD_HEADER = _header("model", "new users", "P@10", "R@10", "NDCG@10", "AUC", "coverage@10", "seconds")
PUBLIC_HEADER = _header("model", "P@10", "R@10", "NDCG@10", "MAP", "MAP@10", "seconds")


def main_line(row: Row) -> str:
    s, v = row.protocol_users.mean(), row.served_users.mean()
    return (
        f"| {row.protocol} | {row.model} | {s['precision']:.4f} | {s['recall']:.4f} | {s['auc']:.4f} | "
        f"{v['precision']:.4f} | {v['recall']:.4f} | {row.seconds:.1f} |"
    )


def segment_line(row: Row) -> str:
    warm, cold = row.protocol_users.mean(row.warm), row.protocol_users.mean(~row.warm)
    cells = [f"{warm['users']:.0f}", _f(warm["precision"]), _f(warm["recall"])]
    cells += [f"{cold['users']:.0f}", _f(cold["precision"]), _f(cold["recall"]), f"{row.coverage:.3f}"]
    return f"| {row.protocol} | {row.model} | {' | '.join(cells)} |"


def _f(value: float) -> str:
    return "-" if value != value else f"{value:.4f}"  # no user in the segment


def cold_line(row: Row) -> str:
    """The `cold` protocol: the users have no training title, so the served lists are the measure."""
    v, s = row.served_users.mean(), row.protocol_users.mean()
    return (
        f"| {row.model} | {v['users']:.0f} | {v['precision']:.4f} | {v['recall']:.4f} | {v['ndcg']:.4f} | "
        f"{s['auc']:.4f} | {row.coverage:.3f} | {row.seconds:.1f} |"
    )


def public_line(row: Row) -> str:
    s = row.protocol_users.mean()
    return (
        f"| {row.model} | {s['precision']:.4f} | {s['recall']:.4f} | {s['ndcg']:.4f} | {s['map']:.4f} | "
        f"{s['map_at_k']:.4f} | {row.seconds:.1f} |"
    )


def published_lines() -> list[str]:
    def cell(value: float | None) -> str:
        return "n/p" if value is None else f"{value:.4f}"

    return [
        f"| {name} (published) | {p:.4f} | {r:.4f} | {n:.4f} | {m:.4f} | {cell(mk)} | |"
        for name, p, r, n, m, mk in PUBLISHED
    ]


def tables(rows: list[Row]) -> str:
    rating = [r for r in rows if r.protocol in ("random", "time")]
    segmented = [r for r in rows if r.protocol in ("random", "time", "public")]
    cold = [r for r in rows if r.protocol == "cold"]
    public = [r for r in rows if r.protocol == "public"]
    parts: list[str] = []
    if rating:
        parts += [MAIN_HEADER, *map(main_line, rating), ""]
    if segmented:
        parts += ["Segments (protocol exclusion):", "", SEGMENT_HEADER, *map(segment_line, segmented), ""]
    if cold:
        parts += ["Cold start (`cold` protocol):", "", COLD_HEADER, *map(cold_line, cold), ""]
    if public:
        parts += [
            "Public protocol (`public`):",
            "",
            PUBLIC_HEADER,
            *map(public_line, public),
            *published_lines(),
            "",
        ]
    return "\n".join(parts)
