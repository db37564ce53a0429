"""The topic page's chart as inline SVG, drawn here from the figures (no script, no inline
style: presentation attributes and CSS classes only, which the CSP allows)."""

from __future__ import annotations

from dataclasses import dataclass

from earshot.warehouse.digest_queries import TopicMovement

WIDTH, HEIGHT, PAD = 640, 220, 28


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    week: str
    posts: int


@dataclass(frozen=True, slots=True)
class TopicChart:
    width: int
    height: int
    bars: list[Bar]
    line: str  # SVG points of the mean sentiment (-1..1), empty when no week was rated
    dots: list[tuple[float, float, str, float]]  # x, y, week, sentiment
    max_posts: int
    zero_y: float  # y of sentiment 0


def topic_chart(history: list[tuple[str, TopicMovement]]) -> TopicChart:
    """Bars: posts per week; line: mean sentiment per week on a -1..1 axis."""
    n = max(len(history), 1)
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = inner_w / n
    top = max([m.posts for _w, m in history] + [1])
    bars, dots = [], []
    for i, (week, m) in enumerate(history):
        h = inner_h * m.posts / top
        x = PAD + i * step + step * 0.15
        bars.append(
            Bar(
                round(x, 1),
                round(PAD + inner_h - h, 1),
                round(step * 0.7, 1),
                round(h, 1),
                week,
                m.posts,
            )
        )
        if m.avg_sentiment is not None:
            y = PAD + inner_h * (1 - (m.avg_sentiment + 1) / 2)
            dots.append((round(x + step * 0.35, 1), round(y, 1), week, m.avg_sentiment))
    line = " ".join(f"{x},{y}" for x, y, _w, _s in dots)
    return TopicChart(WIDTH, HEIGHT, bars, line, dots, top, PAD + inner_h / 2)
