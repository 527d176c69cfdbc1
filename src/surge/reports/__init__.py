"""surge.reports: summaries computed as data first, then rendered (terminal tables).

Reads only plain result data (:class:`surge.stats.RunResult`), never the engine or torch.
"""

from surge.reports.terminal import render_run, sparkline

__all__ = ["render_run", "sparkline"]
