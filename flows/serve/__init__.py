"""Long-running operation: schedules per source group and a local Prefect server for them."""
