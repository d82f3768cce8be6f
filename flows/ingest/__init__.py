"""Ingestion: bounded HTTP fetches, per-source collection, source health and the Prefect tasks."""
