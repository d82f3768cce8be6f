"""Alerts: plan what is owed (plan, ledger rows), render it per channel, send it through apprise."""
