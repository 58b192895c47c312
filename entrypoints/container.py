"""The one composition root: every adapter and use case is built here, nowhere else."""

from __future__ import annotations

from adapters.filesystem_artifacts import FilesystemArtifactStore
from adapters.sqlalchemy_registry import SqlAlchemyModelRegistry
from dependency_injector import containers, providers

from adapters.clock import RandomIdGenerator, SystemClock
from adapters.lightfm_engine import LightFMEngine
from adapters.memory_cache import InProcessRecommendationCache
from adapters.sqlalchemy_engines import create_engine_for
from adapters.sqlalchemy_source import SqlAlchemyInteractionSource
from application.activate_model import ActivateModel
from application.check_health import CheckHealth
from application.invalidate_cache import InvalidateCache
from application.model_views import JobQueries, ModelQueries
from application.recommend_for_user import RecommendForUser
from application.refresh_catalogue import RefreshCatalogue
from application.relevant_titles import RelevantTitles
from application.serving_state import ServingState
from application.train_model import TrainingPorts, TrainModel
from application.training_guard import TrainingGuard
from domain.interaction import PositiveRule
from entrypoints.settings import Settings, load_settings


def _rule(settings: Settings) -> PositiveRule:
    return PositiveRule(settings.interaction_weights, settings.rating_min_positive)


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(load_settings)
    rule = providers.Singleton(_rule, settings)
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(RandomIdGenerator)
    state = providers.Singleton(ServingState)
    guard = providers.Singleton(TrainingGuard)

    source_engine = providers.Singleton(create_engine_for, settings.provided.effective_source_url)
    registry_engine = providers.Singleton(create_engine_for, settings.provided.effective_registry_url)
    source = providers.Singleton(
        SqlAlchemyInteractionSource,
        engine=source_engine,
        rule=rule,
        popular_window_days=settings.provided.popular_window_days,
    )
    registry = providers.Singleton(SqlAlchemyModelRegistry, registry_engine)
    artifacts = providers.Singleton(FilesystemArtifactStore, settings.provided.data_dir)
    engine = providers.Singleton(LightFMEngine, rule=rule, threads=settings.provided.train_threads)
    cache = providers.Singleton(InProcessRecommendationCache, ttl_seconds=settings.provided.cache_ttl_seconds)

    activate_model = providers.Singleton(ActivateModel, registry, artifacts, engine, state)
    refresh_catalogue = providers.Singleton(RefreshCatalogue, source, state)
    training_ports = providers.Singleton(
        TrainingPorts, source, engine, artifacts, registry, registry, clock, ids
    )
    train_model = providers.Singleton(TrainModel, training_ports, activate_model, refresh_catalogue, guard)
    recommend_for_user = providers.Singleton(RecommendForUser, state, source, cache)
    relevant_titles = providers.Singleton(RelevantTitles, state, cache)
    model_queries = providers.Singleton(ModelQueries, registry)
    job_queries = providers.Singleton(JobQueries, registry)
    invalidate_cache = providers.Singleton(InvalidateCache, cache)
    check_health = providers.Singleton(
        CheckHealth,
        state,
        providers.Dict(
            source=source.provided.ping,
            registry=registry.provided.ping,
            cache=cache.provided.ping,
            artifacts=artifacts.provided.ping,
        ),
    )
