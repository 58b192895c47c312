"""Gauges that describe state, computed when Prometheus scrapes (nothing to keep in step)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from application.check_health import CheckHealth
from application.ports import HealthReport
from application.serving_state import ServingState

QUALITY_METRICS = ("precision_at_10", "recall_at_10", "auc")
COMPONENTS = ("source", "registry", "cache", "artifacts")


class HealthSnapshot:
    """The last health check; refreshed (awaited) by the `/metrics` handlers before they render."""

    def __init__(self, check: CheckHealth) -> None:
        self._check = check
        self.report: HealthReport | None = None

    async def refresh(self) -> None:
        self.report = await self._check.execute()  # CheckHealth never raises: a failure is "down"


class StateCollector(Collector):
    def __init__(self, state: ServingState, health: HealthSnapshot, leader: Callable[[], bool]) -> None:
        self._state = state
        self._health = health
        self._leader = leader

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._model()
        yield self._catalogue()
        up = GaugeMetricFamily(
            "rec_dependency_up", "1 when /health sees the component ok", labels=["component"]
        )
        report = self._health.report
        if report is not None:
            for name in COMPONENTS:
                component = report.components.get(name)
                if component is not None:
                    up.add_metric([name], 1.0 if component.status == "ok" else 0.0)
        yield up
        yield GaugeMetricFamily(
            "rec_trainer_leader", "1 in the process that runs trainings", value=float(self._leader())
        )

    def _model(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily(
            "rec_model_info", "1 for the version this process serves", labels=["model_id"]
        )
        created = GaugeMetricFamily(
            "rec_model_created_timestamp_seconds", "When the served version was trained"
        )
        quality = GaugeMetricFamily(
            "rec_model_quality", "Offline metrics of the served version", labels=["metric"]
        )
        active = self._state.model
        if active is not None:
            version = active.version
            info.add_metric([version.model_id], 1.0)
            created.add_metric([], version.created_at.timestamp())
            for name in QUALITY_METRICS:
                if name in version.metrics:
                    quality.add_metric([name], float(version.metrics[name]))
        yield from (info, created, quality)

    def _catalogue(self) -> GaugeMetricFamily:
        catalogue = self._state.catalogue
        inactive = catalogue.inactive & catalogue.title_ids
        blacklisted = (self._state.blacklist().title_ids() & catalogue.title_ids) - inactive
        titles = GaugeMetricFamily("rec_catalogue_titles", "Catalogue titles by state", labels=["state"])
        titles.add_metric(["eligible"], float(len(catalogue.title_ids) - len(inactive) - len(blacklisted)))
        titles.add_metric(["inactive"], float(len(inactive)))
        titles.add_metric(["blacklisted"], float(len(blacklisted)))
        return titles
