"""Geometry of the site's map and charts, computed at build time; the SVG markup is in site/templates/.

Nothing is fetched when a page is viewed: the map is a tile grid of the 47 prefectures (one square each,
placed roughly where the prefecture lies; `site/prefecture_tiles.csv`), not a drawing of their shapes.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

TILE = 56  # px, the side of one prefecture's square
GAP = 4
# Fill by number of networks (upper bound of each class, inclusive) and whether the text is light on it.
MAP_CLASSES: tuple[tuple[int, str, bool], ...] = (
    (0, "#eeeeea", False),
    (2, "#d3ebe4", False),
    (4, "#a3d5c8", False),
    (9, "#62b3a1", False),
    (19, "#2b8a79", True),
    (1_000_000, "#0f5148", True),
)
# Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")


@dataclass(frozen=True)
class Tile:
    code: str
    x: int
    y: int
    count: int
    meeting: int
    fill: str
    light_text: bool

    @property
    def share(self) -> int | None:
        """Percentage of the prefecture's networks meeting every assessable criterion (None: no networks)."""
        return round(100 * self.meeting / self.count) if self.count else None


@dataclass(frozen=True)
class LegendItem:
    x: int
    label: str
    fill: str


@dataclass(frozen=True)
class TileMap:
    tiles: list[Tile]
    legend: list[LegendItem]
    width: int
    height: int
    size: int = TILE


def read_tile_positions(path: Path) -> dict[str, tuple[int, int]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {row["pref_code"]: (int(row["col"]), int(row["row"])) for row in csv.DictReader(f)}


def tile_map(positions: dict[str, tuple[int, int]], counts: dict[str, tuple[int, int]]) -> TileMap:
    """Tiles for every prefecture in `positions`; `counts` maps a code to (networks, meeting every criterion)."""
    tiles = []
    for code, (col, row) in sorted(positions.items()):
        count, meeting = counts.get(code, (0, 0))
        fill, light = next((f, lt) for upper, f, lt in MAP_CLASSES if count <= upper)
        tiles.append(Tile(code, col * (TILE + GAP), row * (TILE + GAP), count, meeting, fill, light))
    legend, lower = [], 0
    for i, (upper, fill, _) in enumerate(MAP_CLASSES):
        label = str(upper) if upper == lower else f"{lower}–{upper}" if upper < 1_000_000 else f"{lower}+"
        legend.append(LegendItem(i * 52, label, fill))
        lower = upper + 1
    width = (max(c for c, _ in positions.values()) + 1) * (TILE + GAP)
    height = (max(r for _, r in positions.values()) + 1) * (TILE + GAP)
    return TileMap(tiles, legend, width, height)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value) of horizontal grid lines
    width: int
    height: int
    left: int
    top: int
    bottom: int  # y of the axis


def bar_chart(counts: dict[int, int], width: int = 640, height: int = 260) -> BarChart:
    """One bar per year from the first to the last year in `counts` (years without networks show as 0)."""
    left, top, bottom_margin = 36, 16, 40
    years = list(range(min(counts), max(counts) + 1)) if counts else []
    top_value = max(counts.values(), default=1)
    step = _nice_step(top_value)
    axis_max = math.ceil(top_value / step) * step
    plot_h = height - top - bottom_margin
    slot = (width - left - 8) / max(len(years), 1)
    bars = []
    for i, year in enumerate(years):
        value = counts.get(year, 0)
        h = plot_h * value / axis_max
        bars.append(Bar(left + i * slot + slot * 0.15, top + plot_h - h, slot * 0.7, h, str(year), value))
    ticks = [(top + plot_h - plot_h * v / axis_max, v) for v in range(0, axis_max + 1, step)]
    return BarChart(bars, ticks, width, height, left, top, top + plot_h)


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500):
        if top / step <= 6:
            return step
    return 1000


@dataclass(frozen=True)
class Point:
    cx: float
    cy: float
    colour: str
    title: str


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    count: int


@dataclass(frozen=True)
class Scatter:
    points: list[Point]
    x_ticks: list[tuple[float, int]]
    y_ticks: list[tuple[float, int]]
    series: list[Series]
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int


def log_scatter(
    points: list[tuple[int, int, int, str]], series_labels: list[str], width: int = 640, height: int = 420
) -> Scatter:
    """Log–log scatter of (x, y, series index, title); every x and y must be positive."""
    left, top, right, bottom = 64, 16, width - 16, height - 48
    max_x = max((p[0] for p in points), default=10)
    max_y = max((p[1] for p in points), default=10)
    x_decades = max(1, math.ceil(math.log10(max_x)))
    y_decades = max(1, math.ceil(math.log10(max_y)))

    def sx(v: float) -> float:
        return round(left + (right - left) * math.log10(v) / x_decades, 1)

    def sy(v: float) -> float:
        return round(bottom - (bottom - top) * math.log10(v) / y_decades, 1)

    drawn = [Point(sx(x), sy(y), SERIES_COLOURS[s % len(SERIES_COLOURS)], title) for x, y, s, title in points]
    series = [
        Series(label, SERIES_COLOURS[i % len(SERIES_COLOURS)], sum(1 for p in points if p[2] == i))
        for i, label in enumerate(series_labels)
    ]
    x_ticks = [(sx(10**d), 10**d) for d in range(x_decades + 1)]
    y_ticks = [(sy(10**d), 10**d) for d in range(y_decades + 1)]
    return Scatter(drawn, x_ticks, y_ticks, series, width, height, left, top, right, bottom)
