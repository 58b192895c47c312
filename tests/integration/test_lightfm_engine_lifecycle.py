"""Model lifecycle in the LightFM engine: forward check, partial retraining, dataset snapshots.

A synthetic timeline: users like one or two genres; the older part of each user's picks is the data
of the active model (cutoff C), the newer part arrives after C. Real LightFM fits, a few seconds.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adapters.lightfm_engine import LightFMEngine, NumpyScorer
from adapters.lightfm_engine.forward import cutoff_micros, plan_forward
from adapters.lightfm_engine.partial import grown_model
from adapters.lightfm_engine.prepare import prepare
from adapters.lightfm_engine.snapshot import recompute_metrics
from adapters.source.tables import SourceTables
from application.ports import ArtifactBundle, ForwardCheck, TrainingOutcome
from domain.errors import ArtifactError
from domain.interaction import PositiveRule
from domain.model_version import TrainParams

RULE = PositiveRule()
PARAMS = TrainParams(no_components=16, epochs=8, learning_rate=0.05, loss="warp")
OLD, NEW = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01")
USERS = list(range(11, 411))  # 400 users
TITLES = np.arange(1001, 1301)  # 300 titles
GENRE = 2  # the genre of the new user and the new title
NEW_USER, NEW_TITLE = 5, 1000  # smaller than every known id: every identity column moves
Row = tuple[int, int, str, float | None]


@dataclass(frozen=True)
class Timeline:
    old: list[Row]
    new: list[Row]
    genre: dict[int, int]


def timeline(seed: int = 7, n_genres: int = 6) -> Timeline:
    rng = np.random.default_rng(seed)
    genre = rng.integers(0, n_genres, len(TITLES))
    appeal = rng.pareto(1.5, len(TITLES)) + 1
    old: list[Row] = []
    new: list[Row] = []
    for user in USERS:
        liked = rng.choice(n_genres, size=rng.integers(1, 3), replace=False)
        p = np.where(np.isin(genre, liked), appeal, 0.03 * appeal)
        picks = rng.choice(len(TITLES), size=rng.integers(10, 30), replace=False, p=p / p.sum())
        n_new = round(0.3 * len(picks))
        for i, t in enumerate(picks):
            kind = str(rng.choice(["view", "bookmark"], p=[0.7, 0.3]))
            (new if i >= len(picks) - n_new else old).append((user, int(TITLES[t]), kind, None))
    return Timeline(old, new, dict(zip(TITLES.tolist(), genre.tolist(), strict=True)))


def frame(rows: Sequence[Row], start: pd.Timestamp) -> pd.DataFrame:
    out = pd.DataFrame(list(rows), columns=["user_id", "title_id", "int_type", "raw_score"])
    out = out.astype({"user_id": "int64", "title_id": "int64", "raw_score": "float64"})
    out["created_at"] = start + pd.to_timedelta(np.arange(len(out)), unit="min")
    return out


def source(
    frames: Sequence[pd.DataFrame],
    users: Sequence[int],
    genre: dict[int, int],
    more_features: Sequence[tuple[int, str, float]] = (),
) -> SourceTables:
    titles = np.asarray(sorted(genre), dtype=np.int64)
    features = [(t, f"genre:{g}", 1.0) for t, g in genre.items()] + list(more_features)
    return SourceTables(
        interactions=pd.concat(frames, ignore_index=True),
        titles=pd.DataFrame({"id": titles, "is_active": True}),
        title_features=pd.DataFrame(features, columns=["title_id", "feature", "weight"]),
        users=pd.DataFrame({"id": np.asarray(users, dtype=np.int64)}),
        user_features=pd.DataFrame({"user_id": [], "feature": [], "weight": []}).astype(
            {"user_id": "int64", "weight": "float64"}
        ),
    )


async def ignore(done: int, total: int) -> None:
    return None


def train(
    data: SourceTables,
    params: TrainParams = PARAMS,
    forward: ForwardCheck | None = None,
    base: ArtifactBundle | None = None,
) -> TrainingOutcome:
    return asyncio.run(LightFMEngine(RULE).train(data, params, ignore, forward, base))


@pytest.fixture(scope="module")
def line() -> Timeline:
    return timeline()


@pytest.fixture(scope="module")
def old_source(line: Timeline) -> SourceTables:
    # one feature that the current data no longer has: partial retraining drops its row
    return source([frame(line.old, OLD)], USERS, line.genre, [(1001, "promo:old", 1.0)])


@pytest.fixture(scope="module")
def active(old_source: SourceTables) -> TrainingOutcome:
    """The active model: trained on every positive up to the cutoff."""
    return train(old_source)


@pytest.fixture(scope="module")
def current(line: Timeline) -> SourceTables:
    """Old + new events, plus a user who arrived after the cutoff (unknown to the active model)."""
    late = [(411, int(t), "view", None) for t in TITLES[:5]]
    return source([frame(line.old, OLD), frame([*line.new, *late], NEW)], [*USERS, 411], line.genre)


@pytest.fixture(scope="module")
def checked(current: SourceTables, old_source: SourceTables, active: TrainingOutcome) -> TrainingOutcome:
    assert old_source.cutoff is not None
    return train(current, forward=ForwardCheck(old_source.cutoff, active.bundle))


def popular(data: SourceTables) -> list[int]:
    counts = Counter(data.interactions["title_id"].tolist())
    return [title for title, _ in counts.most_common(10)]


# --- forward check -------------------------------------------------------------------------
def test_forward_counts_exactly_the_new_pairs_of_known_users(
    checked: TrainingOutcome, line: Timeline, current: SourceTables
) -> None:
    new_pairs = {(u, t) for u, t, _, _ in line.new}  # new picks are never titles the user had
    assert checked.forward is not None
    assert checked.forward.positives == len(new_pairs)  # user 411 is unknown to the active model
    assert checked.forward.users == len(USERS)
    assert checked.metrics["forward_positives"] == len(new_pairs)
    assert checked.metrics["forward_users"] == len(USERS)
    assert checked.metrics["forward_precision_at_10"] == checked.forward.candidate_precision_at_10
    assert checked.metrics["forward_active_precision_at_10"] == checked.forward.active_precision_at_10
    assert checked.metrics["in_sample"] == 0.0
    assert 0.6 < checked.metrics["auc"] <= 1.0  # the random-holdout metrics are still there
    assert checked.stats.n_interactions == prepare(current, RULE).n_positives  # the served model: all


def test_forward_prefers_the_model_with_the_better_data(
    line: Timeline, current: SourceTables, checked: TrainingOutcome, old_source: SourceTables
) -> None:
    truncated = frame(line.old, OLD).groupby("user_id").head(3)  # a broken query: 3 events per user
    weak = train(source([truncated], USERS, line.genre))
    assert old_source.cutoff is not None
    outcome = train(current, forward=ForwardCheck(old_source.cutoff, weak.bundle))
    assert outcome.forward is not None and checked.forward is not None
    assert outcome.forward.positives == checked.forward.positives
    # same candidate evaluation fit, so the same candidate figure against either active model
    assert outcome.forward.candidate_precision_at_10 == checked.forward.candidate_precision_at_10
    assert outcome.forward.candidate_precision_at_10 > outcome.forward.active_precision_at_10 + 0.02


def test_forward_comparison_is_fair(line: Timeline, old_source: SourceTables) -> None:
    """The candidate's forward fit sees exactly the active model's data: same params, same figure.

    (Same ids too here: one more user changes LightFM's random stream, hence the figure by noise.)
    """
    same = train(source([frame(line.old, OLD)], USERS, line.genre))
    current = source([frame(line.old, OLD), frame(line.new, NEW)], USERS, line.genre)
    assert old_source.cutoff is not None
    calls: list[tuple[int, int]] = []

    async def record(done: int, total: int) -> None:
        calls.append((done, total))

    engine = LightFMEngine(RULE)
    outcome = asyncio.run(engine.train(current, PARAMS, record, ForwardCheck(old_source.cutoff, same.bundle)))
    assert outcome.forward is not None
    assert outcome.forward.candidate_precision_at_10 == pytest.approx(outcome.forward.active_precision_at_10)
    assert calls == [(i, 3 * PARAMS.epochs) for i in range(1, 3 * PARAMS.epochs + 1)]  # holdout, forward, all
    calls.clear()
    shared = LightFMEngine(RULE, shared_forward_fit=True)
    asyncio.run(shared.train(current, PARAMS, record, ForwardCheck(old_source.cutoff, same.bundle)))
    assert calls[-1] == (2 * PARAMS.epochs, 2 * PARAMS.epochs)


def test_without_newer_positives_there_is_nothing_to_compare(
    old_source: SourceTables, active: TrainingOutcome
) -> None:
    assert old_source.cutoff is not None
    outcome = train(old_source, forward=ForwardCheck(old_source.cutoff, active.bundle))
    assert outcome.forward is not None
    assert (outcome.forward.positives, outcome.forward.users) == (0, 0)
    assert outcome.metrics["precision_at_10"] == active.metrics["precision_at_10"]  # same evaluation fit


def test_which_positives_are_newer() -> None:
    cutoff = pd.Timestamp("2026-01-10 12:00:00")
    rows = [
        (1, 10, "view", None, cutoff),  # at the cutoff: the active model had it
        (1, 20, "view", None, cutoff + pd.Timedelta(nanoseconds=900)),  # same microsecond as the cutoff
        (1, 30, "view", None, cutoff + pd.Timedelta(microseconds=1)),  # newer
        (1, 40, "rating", 2.0, cutoff - pd.Timedelta(days=1)),  # seen (low rating) before the cutoff...
        (1, 40, "bookmark", None, cutoff + pd.Timedelta(days=1)),  # ...so newer but not a target
        (1, 50, "view", None, cutoff - pd.Timedelta(days=2)),
        (1, 50, "view", None, cutoff + pd.Timedelta(days=2)),  # first positive before: not newer
        (2, 10, "view", None, cutoff + pd.Timedelta(days=3)),  # user unknown to the active model
    ]
    inter = pd.DataFrame(rows, columns=["user_id", "title_id", "int_type", "raw_score", "created_at"])
    data = SourceTables(
        inter.astype({"raw_score": "float64"}),
        pd.DataFrame({"id": [10, 20, 30, 40, 50], "is_active": True}),
        pd.DataFrame({"title_id": [], "feature": [], "weight": []}).astype({"title_id": "int64"}),
        pd.DataFrame({"id": [1, 2]}),
        pd.DataFrame({"user_id": [], "feature": [], "weight": []}).astype({"user_id": "int64"}),
    )
    prepared = prepare(data, RULE)
    aware = cutoff.tz_localize("Europe/Paris").to_pydatetime()
    for moment in (cutoff.to_pydatetime(), cutoff.tz_localize("UTC").to_pydatetime()):
        split = plan_forward(prepared, cutoff_micros(moment), [1], 10, np.random.default_rng(0))
        pairs = zip(prepared.pos_rows[split.newer], prepared.pos_cols[split.newer], strict=True)
        newer = {(int(prepared.users.ids[r]), int(prepared.titles.ids[c])) for r, c in pairs}
        assert newer == {(1, 30), (1, 40), (2, 10)}
        assert split.positives == 1 and split.users.tolist() == [0]
    assert cutoff_micros(aware) == cutoff_micros(cutoff.to_pydatetime()) - 3600 * 10**6  # 12:00 Paris


# --- partial retraining ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def grown_source(line: Timeline, old_source: SourceTables) -> SourceTables:
    """The current data with a new user who likes GENRE and a new title of GENRE with a new feature."""
    in_genre = [t for t, g in line.genre.items() if g == GENRE]
    old = frame(line.old, OLD)
    fans = old[old["title_id"].isin(in_genre)].groupby("user_id").size()
    fans = fans[fans >= 4].index.tolist()
    events = [(NEW_USER, t, "bookmark", None) for t in in_genre[:8]]
    events += [(u, NEW_TITLE, "view", None) for u in fans[:30]]
    genre = {**line.genre, NEW_TITLE: GENRE}
    return source(
        [old, frame([*line.new, *events], NEW)], [NEW_USER, *USERS], genre, [(NEW_TITLE, "studio:x", 1.0)]
    )


@pytest.fixture(scope="module")
def partial(grown_source: SourceTables, old_source: SourceTables, active: TrainingOutcome) -> TrainingOutcome:
    assert old_source.cutoff is not None
    asked = TrainParams(no_components=64, loss="bpr", epochs=5, learning_rate=0.05)  # width/loss: the base's
    return train(grown_source, asked, ForwardCheck(old_source.cutoff, active.bundle), active.bundle)


def test_grow_keeps_known_rows_by_key_and_starts_new_ones_like_lightfm(
    grown_source: SourceTables, active: TrainingOutcome
) -> None:
    prepared = prepare(grown_source, RULE)
    model, report = grown_model(active.bundle, prepared, PARAMS)
    assert report == {
        "new_users": 1,
        "new_user_features": 0,
        "dropped_users": 0,
        "dropped_user_features": 0,
        "new_titles": 1,
        "new_item_features": 1,
        "dropped_titles": 0,
        "dropped_item_features": 1,
    }
    base = active.bundle
    old_titles = base.arrays["title_ids"].tolist()
    old_names = base.meta["item_feature_names"]
    new_titles = prepared.titles.ids.tolist()
    new_names = list(prepared.titles.names)
    moved = {
        new_titles.index(1001): old_titles.index(1001),  # identity columns shifted by the new title 1000
        len(new_titles) + new_names.index("genre:2"): len(old_titles) + old_names.index("genre:2"),
    }
    for new_col, old_col in moved.items():
        assert new_col != old_col
        for part in ("embeddings", "embedding_gradients", "biases", "bias_gradients"):
            np.testing.assert_array_equal(
                getattr(model, f"item_{part}")[new_col], base.arrays[f"item_{part}"][old_col]
            )
    d = model.no_components
    for fresh in (new_titles.index(NEW_TITLE), len(new_titles) + new_names.index("studio:x")):
        assert np.all(np.abs(model.item_embeddings[fresh]) <= 0.5 / d)
        assert model.item_biases[fresh] == 0.0
        assert (
            np.all(model.item_embedding_gradients[fresh] == 1.0) and model.item_bias_gradients[fresh] == 1.0
        )
        assert np.all(model.item_embedding_momentum[fresh] == 0.0)
    assert model.item_embeddings.shape == (prepared.titles.matrix.shape[1], d)
    assert model.user_embeddings.shape == (prepared.users.matrix.shape[1], d)
    assert model.user_embeddings.dtype == np.float32


def test_partial_keeps_the_base_settings_and_reports_forward(partial: TrainingOutcome) -> None:
    meta = partial.bundle.meta
    assert meta["lightfm"]["no_components"] == PARAMS.no_components
    assert meta["loss"] == "warp"
    assert meta["params"]["epochs"] == 5 and meta["params"]["no_components"] == PARAMS.no_components
    assert meta["training"]["requested"]["no_components"] == 64
    assert meta["training"]["mode"] == "partial" and meta["training"]["evaluation"] == "forward"
    m = partial.metrics
    assert m["in_sample"] == 0.0
    assert partial.forward is not None and partial.forward.positives == m["forward_positives"]
    assert m["precision_at_10"] == m["forward_precision_at_10"]  # measured on the newer positives
    assert 0.6 < m["auc"] <= 1.0
    assert m["partial_new_users"] == 1 and m["partial_new_titles"] == 1
    assert "popular_precision_at_10" not in m  # no random-holdout figure: the base saw that holdout


def test_partial_brings_in_a_new_user_and_a_new_title(
    partial: TrainingOutcome, grown_source: SourceTables, line: Timeline
) -> None:
    scorer = NumpyScorer.from_bundle(partial.bundle)
    assert scorer.knows_user(NEW_USER) and scorer.knows_title(NEW_TITLE)
    genre = {**line.genre, NEW_TITLE: GENRE}
    own = set(grown_source.interactions.query(f"user_id == {NEW_USER}")["title_id"].tolist())
    top = scorer.top_for_user(NEW_USER, 10, own)
    assert sum(genre[t] == GENRE for t in top.title_ids) >= 8
    assert list(top.title_ids) != [t for t in popular(grown_source) if t not in own][:10]
    similar = scorer.similar_titles(NEW_TITLE, 10, ())
    assert sum(genre[t] == GENRE for t in similar.title_ids) >= 8
    fans = grown_source.interactions.query(f"title_id == {NEW_TITLE}")["user_id"].tolist()
    ranks = [scorer.top_for_user(u, 50, ()).title_ids for u in USERS if u not in fans]
    assert sum(NEW_TITLE in titles for titles in ranks) >= 20  # in the top 50 of other users


def test_partial_continues_the_base_rows(grown_source: SourceTables, active: TrainingOutcome) -> None:
    calls: list[tuple[int, int]] = []

    async def record(done: int, total: int) -> None:
        calls.append((done, total))

    params = TrainParams(no_components=16, epochs=2, learning_rate=1e-4)
    outcome = asyncio.run(LightFMEngine(RULE).train(grown_source, params, record, None, active.bundle))
    assert calls == [(1, 2), (2, 2)]
    assert outcome.metrics["in_sample"] == 1.0 and "precision_at_10" not in outcome.metrics
    assert "in_sample_precision_at_10" in outcome.metrics
    old, new = active.bundle.arrays, outcome.bundle.arrays
    for user in (11, 200, 410):
        before = old["user_embeddings"][old["user_ids"].tolist().index(user)]
        after = new["user_embeddings"][new["user_ids"].tolist().index(user)]
        assert np.max(np.abs(after - before)) < 1e-3 < np.max(np.abs(before))
    assert new["user_ids"].tolist().index(11) != old["user_ids"].tolist().index(11)  # remapped


# --- dataset snapshots -------------------------------------------------------------------------
def roundtrip(bundle: ArtifactBundle, path: Path) -> ArtifactBundle:
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in bundle.arrays.values())
    np.savez(path / "data.npz", **bundle.arrays)
    (path / "data.json").write_text(json.dumps(bundle.meta))
    with np.load(path / "data.npz", allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    return ArtifactBundle(arrays, json.loads((path / "data.json").read_text()))


def test_snapshot_reproduces_the_metrics(
    checked: TrainingOutcome, active: TrainingOutcome, tmp_path: Path
) -> None:
    assert checked.snapshot is not None
    snapshot = roundtrip(checked.snapshot, tmp_path)
    assert "user_ids" not in snapshot.arrays  # in the model bundle already
    assert snapshot.meta["evaluation"] == "holdout"
    again = recompute_metrics(roundtrip(checked.bundle, tmp_path), snapshot, baseline=active.bundle)
    assert again == pytest.approx(dict(checked.metrics), rel=1e-9, abs=1e-12)
    assert recompute_metrics(checked.bundle, snapshot).keys() == set(checked.metrics) - {
        "forward_active_precision_at_10"
    }
    with pytest.raises(ArtifactError, match="another model version"):
        recompute_metrics(active.bundle, snapshot)


def test_partial_snapshot_reproduces_the_metrics(partial: TrainingOutcome, active: TrainingOutcome) -> None:
    assert partial.snapshot is not None
    again = recompute_metrics(partial.bundle, partial.snapshot, base=active.bundle, baseline=active.bundle)
    expected = {k: v for k, v in partial.metrics.items() if not k.startswith("partial_")}
    assert again == pytest.approx(expected, rel=1e-9, abs=1e-12)
    with pytest.raises(ValueError, match="base"):
        recompute_metrics(partial.bundle, partial.snapshot)
