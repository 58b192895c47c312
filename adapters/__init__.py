"""Driven adapters: databases, cache, filesystem and the LightFM engine."""
