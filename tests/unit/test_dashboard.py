"""The Grafana dashboard and the alert rules query only families the service exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import generate_latest

from entrypoints.observability.exposition import Observability

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NAME = re.compile(r"\b(rec_[a-z0-9_]+)")


def exported_names() -> set[str]:
    metrics = Observability(metrics_on=True).metrics
    assert metrics is not None
    text = generate_latest(metrics.registry).decode()
    names = set(re.findall(r"^# TYPE (rec_\w+) (\w+)", text, re.MULTILINE))
    found = set()
    for name, kind in names:
        found.add(name)
        if kind == "counter":
            found.add(name + "_total")
        if kind == "histogram":
            found.update(name + suffix for suffix in ("_bucket", "_sum", "_count"))
    # computed at scrape time from the serving state (tests/e2e/test_metrics_api.py checks them)
    scrape_time = ("rec_model_info", "rec_model_created_timestamp_seconds", "rec_model_quality",
                   "rec_dependency_up", "rec_catalogue_titles", "rec_trainer_leader")  # fmt: skip
    return found | set(scrape_time)


def test_dashboard_panels_query_exported_families() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in exprs for name in NAME.findall(expr)}
    assert used and used <= exported_names(), used - exported_names()
    titles = " ".join(panel["title"] for panel in dashboard["panels"]).lower()
    for topic in ("route", "method", "cache", "source", "training", "quality", "hot events", "dependency"):
        assert topic in titles, topic


def test_alerts_query_exported_families() -> None:
    used = set(NAME.findall((DEPLOY / "prometheus" / "alerts.yml").read_text()))
    assert used and used <= exported_names(), used - exported_names()
