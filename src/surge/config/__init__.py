"""surge.config: typed, documented parameters with units, validated at the boundary.

Used by models, protocols and problems to declare their parameter dataclasses; imports
only :mod:`surge.sim` (for unit parsing).
"""

from surge.config.params import ConfigError, ParamInfo, build_params, describe_params, param

__all__ = ["ConfigError", "ParamInfo", "build_params", "describe_params", "param"]
