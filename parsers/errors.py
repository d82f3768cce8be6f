"""The project's exception hierarchy: one base so callers can catch treatywatch failures only."""


class TreatywatchError(Exception):
    """Base of every error treatywatch raises on purpose."""


class ConfigError(TreatywatchError):
    """A config file (sources, rules, gazetteer, alerts) is missing or invalid; says file and field."""


class InputError(TreatywatchError):
    """Input handed to a command (a text file, a JSONL line, an option value) cannot be used; says which."""


class StorageError(TreatywatchError):
    """The database path cannot be created or written (missing permission, read-only filesystem)."""
