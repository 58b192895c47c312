"""Driven adapters, one subpackage per port (or per group of ports one technology serves).

- `source/`: `InteractionSource`, `FeatureSource`, `TrainingDataMerger` (SQLAlchemy, MySQL streaming)
- `registry/`: `ModelRegistry`, `JobStore`, `HotEventStore`, `AdminBlacklistStore` (SQLAlchemy, Alembic)
- `cache/`: `RecommendationCache` (Redis through redis-py and a lean RESP client, or memory)
- `artifacts/`: `ArtifactStore` (`.npz` + JSON with a sha256)
- `lightfm_engine/`: `RecommenderEngine`, `Scorer`, and `Tuner` in `tuning/` (LightFM, numpy, Optuna)
- `system/`: `Clock`, `IdGenerator` (the standard library)
- `seen_index/`: `SeenIndex` (numpy arrays: every user's seen titles in memory)
- `sql/`: no port; engines and driver-level reads shared by `source/` and `registry/`
- `memory/`: every port in memory, the fakes the use-case tests inspect

The groups do not import each other (an import-linter contract), except that the engine reads
the source's table format (`source/tables.py`), which is what a training is made of.
"""
