"""surge.reports: summaries computed as data first, then rendered.

Terminal tables (:func:`render_run`), SURGE's end-of-run summary text
(:func:`render_surge_summary`) and PNG plots (:func:`plot_run`; matplotlib is imported on
first use, never by ``import surge.reports``). Reads only plain result data
(:class:`surge.stats.RunResult`), never the engine or torch.
"""

from surge.reports.plots import (
    CdfData,
    NodeBars,
    PlotData,
    SeriesData,
    build_figures,
    plot_data,
    plot_run,
    require_matplotlib,
)
from surge.reports.surge_summary import bytes_per_s_to_kmg, bytes_to_kmg, render_surge_summary
from surge.reports.terminal import render_run, sparkline

__all__ = [
    "CdfData",
    "NodeBars",
    "PlotData",
    "SeriesData",
    "build_figures",
    "bytes_per_s_to_kmg",
    "bytes_to_kmg",
    "plot_data",
    "plot_run",
    "render_run",
    "render_surge_summary",
    "require_matplotlib",
    "sparkline",
]
