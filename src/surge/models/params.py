"""Model parameters: re-exported from :mod:`surge.config.params`, where they live."""

from surge.config.params import ConfigError, ParamInfo, build_params, describe_params, param

__all__ = ["ConfigError", "ParamInfo", "build_params", "describe_params", "param"]
