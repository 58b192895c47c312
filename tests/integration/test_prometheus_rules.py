"""The shipped alert rules load in promtool and pass their unit tests (each alert firing and not)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import unavailable

pytestmark = pytest.mark.integration
PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        unavailable("promtool is not installed (Debian package `prometheus`)")
    return subprocess.run(
        ["promtool", *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=120, check=False
    )


def test_rules_and_config_are_valid() -> None:
    rules = promtool("check", "rules", "alerts.yml")
    assert rules.returncode == 0, rules.stdout + rules.stderr
    config = promtool("check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    alerts = {
        line.split(":", 1)[1].strip()
        for line in (PROMETHEUS_DIR / "alerts.yml").read_text().splitlines()
        if line.strip().startswith("- alert:")
    }
    tests = (PROMETHEUS_DIR / "alerts_test.yml").read_text()
    for alert in alerts:
        assert tests.count(f"alertname: {alert}\n") >= 2, f"{alert} needs a firing and a quiet case"
    result = promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
