"""The process's runtime assembled from the composition root: what every process starts and stops, in
order (`Serving`), and the trainer's duties (`Jobs`). Read at call time, so overrides a test or the
CLI made on the container's providers are honoured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from entrypoints import wiring
from entrypoints.observability.lifecycle import ObservabilityLifecycle
from entrypoints.runtime import Jobs, ServiceRuntime, Serving
from entrypoints.trainer_role import TrainerParts, TrainerRole

if TYPE_CHECKING:
    from entrypoints.container import Container


def assemble_runtime(c: Container) -> ServiceRuntime:
    settings = c.settings()
    registry, hot_events, blacklist_store = c.registry(), c.hot_events(), c.admin_blacklist_store()
    online_counts, experiment_store, source = c.online_counts(), c.experiment_store(), c.source()
    state, election, runner = c.state(), c.trainer_election(), c.job_runner()
    serving = Serving(
        create_schemas=[
            registry.create_schema,
            hot_events.create_schema,
            blacklist_store.create_schema,
            online_counts.create_schema,
            experiment_store.create_schema,
        ],
        check_source_queries=source.check_queries,
        restore_model=c.activate_model().restore,
        refresh_catalogue=c.refresh_catalogue(),
        add_new_titles=c.add_new_titles(),
        blacklist_admin=c.blacklist_admin(),
        follow_active_model=c.follow_active_model(),
        follow_experiment=c.experiments().follow,
        flush_counts=c.list_tracker().flush,
        state=state,
        observability=ObservabilityLifecycle(c.observability(), state, c.check_health(), settings, election),
        follow_source=wiring.tail(settings, c.follow_source_interactions),
        tail_seconds=settings.source_tail_seconds,
        broadcast=c.broadcast(),
        follow_replicas=c.follow_replicas(),
        poll_seconds=settings.registry_poll_seconds,
        refresh_features=wiring.features_refresh(c.request_features()),
        close=[
            hot_events.close,
            blacklist_store.close,
            online_counts.close,
            experiment_store.close,
            source.close,
            c.cache().close,
            registry.close,
        ],
    )
    parts = TrainerParts(
        election=election,
        runner=runner,
        recover_jobs=c.recover_jobs(),
        cron=c.daily_cron(),
        dispatcher=c.scheduler(),
        train_model=c.train_model(),
        registry=registry,
        state=state,
    )
    jobs = Jobs(runner=runner, trainer=TrainerRole(parts))
    return ServiceRuntime(serving, jobs, admin_token_set=bool(settings.admin_token))
