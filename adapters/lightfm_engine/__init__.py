"""LightFM behind the `RecommenderEngine` and `Scorer` ports."""

from adapters.lightfm_engine.engine import LightFMEngine
from adapters.lightfm_engine.scorer import NumpyScorer

__all__ = ["LightFMEngine", "NumpyScorer"]
