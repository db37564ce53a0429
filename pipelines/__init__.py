"""Pipelines: configuration, Prefect flows and the `earshot` CLI. The only layer that sees all others."""
