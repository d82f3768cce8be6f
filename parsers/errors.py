"""The project's exception hierarchy: one base so callers can catch treatywatch failures only."""


class TreatywatchError(Exception):
    """Base of every error treatywatch raises on purpose."""


class ConfigError(TreatywatchError):
    """A config file (sources, rules, gazetteer, alerts) is missing or invalid; says file and field."""
