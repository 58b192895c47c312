"""Metrics (Prometheus) and tracing (OpenTelemetry): the only place that imports either client."""
