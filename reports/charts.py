"""The digest's charts as PNG bytes, drawn with matplotlib (Agg: no display needed).

Each chart is at most 592 px wide (the mail's 640 px column minus padding) at 2x resolution,
so it stays sharp on high-density screens and the HTML shows it at `CHART_WIDTH` CSS pixels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

CHART_WIDTH = 592  # CSS pixels in the mail
_DPI = 96 * 2
_BLUE, _ORANGE, _GREY = "#1a5fb4", "#e66100", "#9a9996"


@dataclass(frozen=True, slots=True)
class Chart:
    """One inline image: `name` is its file name and the Content-ID's local part."""

    name: str
    png: bytes
    alt: str
    width: int = CHART_WIDTH
    height: int = 0


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def _figure(rows: int) -> Figure:
    height = max(1.6, 0.42 * rows + 0.9)
    fig = Figure(figsize=(CHART_WIDTH / 96, height), dpi=96, layout="constrained")
    return fig


def _shorten(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def paired_bars(
    name: str,
    labels: Sequence[str],
    first: Sequence[float],
    second: Sequence[float],
    *,
    legend: tuple[str, str],
    alt: str,
    percent: bool = False,
    markers: Sequence[float] | None = None,
    marker_legend: str | None = None,
) -> Chart:
    """Horizontal bars, two per label (e.g. this week vs. baseline); optional target ticks."""
    fig = _figure(len(labels))
    ax = fig.add_subplot()
    y = list(range(len(labels)))
    h = 0.38
    scale = 100.0 if percent else 1.0
    ax.barh([v - h / 2 for v in y], [x * scale for x in first], h, color=_BLUE, label=legend[0])
    ax.barh([v + h / 2 for v in y], [x * scale for x in second], h, color=_GREY, label=legend[1])
    if markers is not None:
        ax.scatter(
            [m * scale for m in markers],
            y,
            marker="|",
            s=400,
            color=_ORANGE,
            linewidths=2.5,
            label=marker_legend,
            zorder=3,
        )
    ax.set_yticks(y, [_shorten(label) for label in labels], fontsize=9)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=8)
    if percent:
        ax.xaxis.set_major_formatter("{x:.0f}%")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.legend(fontsize=8, loc="outside lower center", ncol=3, frameon=False)
    png = _png(fig)
    width_in, height_in = fig.get_size_inches()
    return Chart(name, png, alt, int(width_in * 96), int(height_in * 96))
