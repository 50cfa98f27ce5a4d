"""PNG figures of scenario results (matplotlib, Agg backend, small files).

Every function takes the result dict a scenario returned (or parts of it)
and a path, so a figure can be drawn again from saved ``--json`` output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

DPI = 80
SIZE = (7.0, 3.6)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "svg.hashsalt": "intentcast"})
    return plt


def _finish(fig: Any, ax: Any, *, ylabel: str, title: str, path: str) -> None:
    """Label, title and legend the axes, and save the figure."""
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(frameon=False)
    fig.tight_layout()
    # No timestamps or software version in the file: the same data gives
    # the same bytes.
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)


def latency_histogram(
    histogram: Mapping[str, Any],
    latency: Mapping[str, Any],
    *,
    title: str,
    path: str,
    label: str = "publish to node",
) -> None:
    """Bars of the latency histogram with p50/p90/p99 marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    width = histogram["bin_ms"] or 1.0
    counts = histogram["counts"]
    ax.bar(
        [i * width for i in range(len(counts))],
        counts,
        width=width,
        align="edge",
        color="#4c72b0",
        edgecolor="white",
        linewidth=0.3,
    )
    for key, style in (("p50_ms", "-"), ("p90_ms", "--"), ("p99_ms", ":")):
        value = latency.get(key)
        if value is not None:
            ax.axvline(value, color="#c44e52", linestyle=style, label=f"{key[:3]} {value:,.0f} ms")
    ax.set_xlabel(f"latency, {label} (ms)")
    _finish(fig, ax, ylabel="(message, node) pairs", title=title, path=path)


def bars(
    groups: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    ylabel: str,
    path: str,
) -> None:
    """Grouped bars: one group per label, one bar per series."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    n = max(1, len(series))
    width = 0.8 / n
    for k, (name, values) in enumerate(series.items()):
        xs = [i + (k - (n - 1) / 2) * width for i in range(len(groups))]
        ax.bar(xs, values, width=width, label=name)
    ax.set_xticks(range(len(groups)), groups)
    _finish(fig, ax, ylabel=ylabel, title=title, path=path)


def lines(
    xs: Sequence[float],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    path: str,
    logx: bool = False,
) -> None:
    """One line per series over ``xs``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    for name, values in series.items():
        ax.plot(xs, values, marker="o", markersize=3, label=name)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3)
    _finish(fig, ax, ylabel=ylabel, title=title, path=path)
