"""The one composition root: every adapter and use case is built here, nowhere else."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.lightfm_engine import LightFMEngine
from adapters.lightfm_engine.tuning.study import StudyStore
from adapters.lightfm_engine.tuning.tuner import LightFMTuner
from adapters.registry.sqlalchemy_admin_blacklist import SqlAlchemyAdminBlacklist
from adapters.registry.sqlalchemy_events import SqlAlchemyHotEventStore, create_events_engine
from adapters.registry.sqlalchemy_experiments import SqlAlchemyExperimentStore
from adapters.registry.sqlalchemy_hot_history import SqlAlchemyHotEventHistory
from adapters.registry.sqlalchemy_lease import SqlAlchemyTrainerLease
from adapters.registry.sqlalchemy_online_counts import SqlAlchemyOnlineCounts
from adapters.registry.sqlalchemy_registry import SqlAlchemyModelRegistry
from adapters.seen_index.numpy_index import NumpySeenIndex
from adapters.source.hot_event_merger import SourceTablesEventMerger
from adapters.source.sqlalchemy_features import SqlAlchemyFeatureSource
from adapters.source.sqlalchemy_lookup import SqlAlchemySourceLookup
from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
from adapters.sql.engines import create_engine_for, create_source_engine, sync_url
from adapters.system.clock import RandomIdGenerator, SystemClock
from application.activate_model import ActivateModel
from application.add_new_titles import AddNewTitles
from application.admin_views import AdminViews
from application.blacklist_admin import BlacklistAdmin
from application.cancel_job import CancelJob
from application.check_health import CheckHealth
from application.experiment_views import ExperimentQueries
from application.experiments import Experiments
from application.follow_active_model import FollowActiveModel
from application.follow_replicas import FollowReplicas
from application.follow_source_interactions import FollowSourceInteractions
from application.hot_effects import HotEventEffects
from application.hot_seen import HotSeen
from application.hot_training_source import SourceWithHotEvents
from application.invalidate_cache import InvalidateCache
from application.job_dispatcher import JobDispatcher
from application.job_runner import JobRunner
from application.join_tuning import JoinTuning
from application.list_tracker import ListTracker
from application.model_views import JobQueries, ModelQueries
from application.recommend_for_user import RecommendForUser
from application.record_interaction import RecordInteraction
from application.recover_jobs import RecoverJobs
from application.refresh_catalogue import RefreshCatalogue
from application.relevant_titles import RelevantTitles
from application.run_daily_training import RunDailyTraining
from application.run_scheduled_job import RunScheduledJob
from application.schedule_training import ScheduleTraining
from application.serving_state import ServingState
from application.train_model import TrainModel
from application.trainer_election import TrainerElection
from application.trainer_status import TrainerStatus
from application.training_desk import TrainingDesk
from application.training_guard import TrainingGuard
from application.training_pipeline import TrainingPipeline, TrainingPorts
from application.tune_model import TuneModel
from application.version_recommendations import VersionRecommendations
from entrypoints import wiring
from entrypoints.assembly import assemble_runtime
from entrypoints.grpc.servicer import RecommenderServicer
from entrypoints.observability.exposition import Observability
from entrypoints.observability.traced import traced, traced_engine
from entrypoints.scheduler import DailyCron
from entrypoints.settings import load_settings


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(load_settings)
    rule = providers.Singleton(wiring.positive_rule, settings)
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(RandomIdGenerator)
    state = providers.Singleton(ServingState)
    guard = providers.Singleton(TrainingGuard)
    # Metrics and tracing; the inner layers see only the ServiceEvents port.
    observability = providers.Singleton(Observability.from_env, settings.provided.metrics)
    events = observability.provided.events

    source_engine = providers.Singleton(create_source_engine, settings.provided.effective_source_url)
    registry_engine = providers.Singleton(create_engine_for, settings.provided.effective_registry_url)
    source = providers.Singleton(
        SqlAlchemyInteractionSource,
        engine=source_engine,
        rule=rule,
        popular_window_days=settings.provided.popular_window_days,
        queries=providers.Singleton(wiring.source_queries, settings),
    )
    registry = providers.Singleton(SqlAlchemyModelRegistry, registry_engine)
    artifacts = providers.Singleton(wiring.artifacts, settings)
    engine = providers.Singleton(LightFMEngine, rule=rule, threads=settings.provided.train_threads)
    redis_channel = providers.Singleton(wiring.redis_channel, settings)
    cache = providers.Singleton(wiring.cache, settings, events, redis_channel)
    broadcast = providers.Singleton(wiring.broadcast, settings, redis_channel, events)
    # Hot events and the admin blacklist live in the registry database (contract sections 4.3, 6).
    hot_events_engine = providers.Singleton(create_events_engine, settings.provided.effective_registry_url)
    hot_events = providers.Singleton(SqlAlchemyHotEventStore, hot_events_engine)
    admin_blacklist_store = providers.Singleton(SqlAlchemyAdminBlacklist, registry_engine)
    # Online evaluation (contract section 12): lists per serving context, experiments.
    online_counts = providers.Singleton(SqlAlchemyOnlineCounts, registry_engine)
    experiment_store = providers.Singleton(SqlAlchemyExperimentStore, registry_engine)
    list_tracker = providers.Singleton(
        ListTracker, online_counts, hot_events, state, providers.Callable(wiring.recommendation_id_prefix)
    )
    event_merger = providers.Singleton(SourceTablesEventMerger)
    training_source = providers.Singleton(
        SourceWithHotEvents, source, hot_events, event_merger, settings.provided.hot_events_in_source
    )
    # Every user's seen titles in memory; recent additions kept as long as a cached list lives.
    seen_index = providers.Singleton(NumpySeenIndex, settings.provided.cache_ttl_seconds)
    serving_index = providers.Singleton(wiring.serving_index, settings, seen_index)
    follow_source_interactions = providers.Singleton(FollowSourceInteractions, source, seen_index, hot_events)
    # Tests that override `source` with the in-memory fake override `features` with it too.
    features = providers.Singleton(
        SqlAlchemyFeatureSource, source_engine, providers.Singleton(wiring.source_queries, settings)
    )

    # What a request uses, as the request-path use cases see it: in spans when tracing is on.
    tracer = observability.provided.tracer
    traced_source = providers.Singleton(traced, source, "source", tracer)
    request_features = providers.Singleton(wiring.request_features, settings, features)
    traced_features = providers.Singleton(traced, request_features, "features", tracer)
    traced_cache = providers.Singleton(traced, cache, "cache", tracer)
    traced_hot_events = providers.Singleton(traced, hot_events, "hot_events", tracer)
    serving_engine = providers.Singleton(traced_engine, engine, tracer)  # its scorers rank in spans
    hot_seen = providers.Singleton(HotSeen, traced_hot_events)

    activate_model = providers.Singleton(ActivateModel, registry, artifacts, serving_engine, state, broadcast)
    refresh_catalogue = providers.Singleton(RefreshCatalogue, source, state)
    training_ports = providers.Singleton(
        TrainingPorts, training_source, engine, artifacts, registry, registry, clock, ids, experiment_store
    )
    training_policy = providers.Singleton(wiring.training_policy, settings)
    training_pipeline = providers.Singleton(
        TrainingPipeline, training_ports, state, activate_model, training_policy
    )
    # The trainer lease (section 10): tests and the CLI override it with None (a process alone).
    trainer_lease = providers.Singleton(SqlAlchemyTrainerLease, registry_engine)
    trainer_election = providers.Singleton(
        TrainerElection,
        trainer_lease,
        clock,
        providers.Singleton(wiring.lease_holder),
        settings.provided.trainer_lease_seconds,
        candidate=providers.Callable(wiring.trainer_candidate, settings),
    )
    job_runner = providers.Singleton(
        JobRunner,
        registry,
        clock,
        ids,
        guard,
        refresh_catalogue,
        events=events,
        fence=trainer_election.provided.job_fence,
    )
    training_desk = providers.Singleton(
        TrainingDesk,
        registry,
        clock,
        trainer_election,
        settings.provided.trainer_lease_seconds,
        broadcast=broadcast,
    )
    train_model = providers.Singleton(TrainModel, job_runner, training_pipeline, training_desk)
    # Trials shared with `rec-service tune-worker` processes through Optuna's storage in the registry.
    studies = providers.Singleton(
        StudyStore, providers.Callable(sync_url, settings.provided.effective_registry_url)
    )
    tuner = providers.Singleton(
        LightFMTuner, rule=rule, threads=settings.provided.train_threads, store=studies
    )
    join_tuning = providers.Singleton(JoinTuning, tuner, registry, training_source)
    tune_model = providers.Singleton(
        TuneModel, job_runner, training_pipeline, training_source, tuner, training_desk
    )
    run_scheduled_job = providers.Singleton(RunScheduledJob, job_runner, training_pipeline)
    run_daily_training = providers.Singleton(
        RunDailyTraining, registry, clock, ids, run_scheduled_job, fence=trainer_election.provided.job_fence
    )
    # The trainer's dispatcher runs what the job table holds; the use cases that schedule wake it, and
    # so does another replica's announcement (follow_replicas); it polls as the registry is polled.
    scheduler = providers.Singleton(
        JobDispatcher,
        registry,
        clock,
        job_runner,
        training_pipeline,
        tune_model,
        trainer_election,
        poll_seconds=settings.provided.registry_poll_seconds,
    )
    daily_cron = providers.Singleton(
        DailyCron, run_daily_training.provided.execute, settings.provided.train_cron, settings.provided.zone
    )
    schedule_training = providers.Singleton(ScheduleTraining, registry, clock, ids, scheduler)
    cancel_job = providers.Singleton(
        CancelJob, registry, clock, job_runner, scheduler, election=trainer_election, broadcast=broadcast
    )
    recover_jobs = providers.Singleton(RecoverJobs, registry, clock)
    follow_active_model = providers.Singleton(FollowActiveModel, registry, state, activate_model)
    recommend_for_user = providers.Singleton(
        RecommendForUser,
        state,
        traced_source,
        traced_cache,
        hot_seen,
        traced_features,
        serving_index,
        tracker=list_tracker,
        events=events,
    )
    relevant_titles = providers.Singleton(
        RelevantTitles, state, traced_cache, traced_features, tracker=list_tracker, events=events
    )
    hot_effects = providers.Singleton(HotEventEffects, rule, hot_seen, state, traced_features, serving_index)
    record_interaction = providers.Singleton(
        RecordInteraction,
        rule,
        traced_hot_events,
        hot_effects,
        traced_cache,
        clock,
        service_events=events,
        broadcast=broadcast,
        tracker=list_tracker,
    )
    blacklist_admin = providers.Singleton(BlacklistAdmin, admin_blacklist_store, state, broadcast)
    follow_replicas = providers.Singleton(
        FollowReplicas, follow_active_model, blacklist_admin, hot_effects, scheduler.provided.wake
    )
    add_new_titles = providers.Singleton(AddNewTitles, state, features)
    experiments = providers.Singleton(Experiments, experiment_store, activate_model, state, ids, clock)
    experiment_queries = providers.Singleton(ExperimentQueries, experiment_store, list_tracker)
    model_queries = providers.Singleton(ModelQueries, registry, experiment_queries)
    job_queries = providers.Singleton(JobQueries, registry)
    invalidate_cache = providers.Singleton(InvalidateCache, cache)
    # The admin read routes (dashboard): point reads of the source and of the hot events.
    source_lookup = providers.Singleton(
        SqlAlchemySourceLookup, source_engine, providers.Singleton(wiring.source_queries, settings)
    )
    hot_history = providers.Singleton(SqlAlchemyHotEventHistory, hot_events_engine)
    admin_views = providers.Singleton(AdminViews, state, source_lookup, hot_history, features)
    trainer_status = providers.Singleton(TrainerStatus, trainer_lease, trainer_election, clock)
    version_recommendations = providers.Singleton(
        VersionRecommendations,
        state,
        registry,
        artifacts,
        engine,
        source,
        hot_seen,
        request_features,  # as the public route reads them
        serving_index,
    )
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
    grpc_servicer = providers.Factory(
        RecommenderServicer,
        recommend_for_user,
        relevant_titles,
        record_interaction,
        train_model,
        settings.provided.admin_token,
    )
    # What a process starts and stops, assembled from the providers above (entrypoints/assembly.py).
    __self__ = providers.Self()
    runtime = providers.Factory(assemble_runtime, __self__)


def alone(container: Container) -> Container:
    """A process alone with its registry: it trains itself, outside the trainer lease, unfenced.
    For the CLI's `train` and `tune` (a first model before any service runs) and for tests."""
    container.trainer_lease.override(providers.Object(None))
    return container
