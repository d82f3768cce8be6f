"""Config YAML: libyaml's parser when PyYAML has it, YAML 1.2 booleans either way."""

from __future__ import annotations

import pytest
import yaml

from parsers.config.yamlio import ConfigLoader, load_yaml
from parsers.errors import ConfigError


def test_country_codes_and_on_off_stay_strings():
    assert load_yaml("a: NO\nb: on\nc: Y\nd: true\ne: FALSE\nf: 1.5\n") == {
        "a": "NO",
        "b": "on",
        "c": "Y",
        "d": True,
        "e": False,
        "f": 1.5,
    }


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
def test_uses_the_c_parser():
    assert issubclass(ConfigLoader, yaml.CSafeLoader)


def test_errors_are_config_errors_naming_the_line():
    with pytest.raises(ConfigError, match="line 2"):
        load_yaml("a: [1, 2\n")
