"""The digest's charts as PNG bytes, drawn with matplotlib (Agg: no display needed).

Each chart is at most 592 px wide (the mail's 640 px column minus padding) at 2x resolution,
so it stays sharp on high-density screens and the HTML shows it at `CHART_WIDTH` CSS pixels.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from earshot.reports.i18n import format_int, format_percent

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


def _figure(rows: int, lines: int) -> Figure:
    """A figure for `rows` bar pairs whose labels take `lines` text lines in all."""
    height = max(1.6, 0.42 * rows + 0.14 * max(0, lines - rows) + 0.9)
    fig = Figure(figsize=(CHART_WIDTH / 96, height), dpi=96, layout="constrained")
    return fig


LABEL_CHARS = 24  # a label wraps onto more lines beyond this, at word boundaries; never cut


def _wrap(label: str) -> str:
    return "\n".join(textwrap.wrap(label, LABEL_CHARS, break_long_words=False)) or label


def _axis_formatter(percent: bool, language: str) -> FuncFormatter:
    """Tick labels in the digest's language: '17 %' (de) / '17%' (en), '1.234' / '1,234'."""
    if percent:
        return FuncFormatter(lambda x, _pos: format_percent(x / 100, language))
    return FuncFormatter(lambda x, _pos: format_int(round(x), language))


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
    language: str = "en",
) -> Chart:
    """Horizontal bars, two per label (e.g. this week vs. baseline), as a PNG; see
    `paired_bars_figure`."""
    fig = paired_bars_figure(
        labels,
        first,
        second,
        legend=legend,
        percent=percent,
        markers=markers,
        marker_legend=marker_legend,
        language=language,
    )
    png = _png(fig)
    width_in, height_in = fig.get_size_inches()
    return Chart(name, png, alt, int(width_in * 96), int(height_in * 96))


def paired_bars_figure(
    labels: Sequence[str],
    first: Sequence[float],
    second: Sequence[float],
    *,
    legend: tuple[str, str],
    percent: bool = False,
    markers: Sequence[float] | None = None,
    marker_legend: str | None = None,
    language: str = "en",
) -> Figure:
    """Horizontal bars, two per label; optional target ticks. Labels wrap at word boundaries
    (never cut); the value axis has ticks at round steps (1, 2, 2.5, 5 or 10 times a power of
    ten, whole numbers), labelled in `language`'s format."""
    wrapped = [_wrap(label) for label in labels]
    fig = _figure(len(labels), sum(w.count("\n") + 1 for w in wrapped))
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
    ax.set_yticks(y, wrapped, fontsize=9)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], integer=True))
    ax.xaxis.set_major_formatter(_axis_formatter(percent, language))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.legend(fontsize=8, loc="outside lower center", ncol=3, frameon=False)
    return fig
