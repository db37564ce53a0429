"""Pipelines: config, Prefect flows and the `earshot` CLI; the one layer that sees all others."""
