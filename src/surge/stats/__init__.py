"""surge.stats: declared metrics, recorders, interval time series, results and the trace log.

Imports only :mod:`surge.sim` (for the clock). Reports render the :class:`RunResult` data.
"""

from surge.stats.collector import Counter, Distribution, NodeInfo, Sampled, StatsCollector
from surge.stats.metrics import Kind, Metric, Scope
from surge.stats.results import SCHEMA, DistributionSummary, MetricResult, RunResult, summarize
from surge.stats.trace import NullTrace, Trace

__all__ = [
    "SCHEMA",
    "Counter",
    "Distribution",
    "DistributionSummary",
    "Kind",
    "Metric",
    "MetricResult",
    "NodeInfo",
    "NullTrace",
    "RunResult",
    "Sampled",
    "Scope",
    "StatsCollector",
    "Trace",
    "summarize",
]
