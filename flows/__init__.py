"""Orchestration and I/O: fetching, storage, alerts, the Prefect flows and the CLI."""
