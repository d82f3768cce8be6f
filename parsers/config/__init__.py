"""Configuration as data: strict YAML reading and validation of sources and alert routing."""
