"""Small SVG charts for the quota dashboard: bars by month, a cap line, gauges.

Plain Python (no Zope, no JavaScript): each builder returns the markup of one
``<svg>`` element, sized by its ``viewBox`` so it scales to its container, and
accessible (``role="img"``, a ``<title>`` and an ``aria-label``, a tooltip on
each bar). Every text that comes in (titles, labels, tooltips) is escaped. The
texts a person reads are the caller's, translated; numbers are formatted here.
"""

from collections.abc import Callable
from collections.abc import Sequence
from html import escape

import math


SVG_NS = "http://www.w3.org/2000/svg"

# Bootstrap 5's palette, darkened where a colour on white would not reach the
# 3:1 contrast graphics need (WCAG 1.4.11): the amber is not Bootstrap's yellow.
COLOURS = {
    "normal": "#0d6efd",
    "warning": "#d97706",
    "danger": "#dc3545",
    "money": "#6f42c1",
    "track": "#e9ecef",
    "border": "#6c757d",
    "grid": "#dee2e6",
    "text": "#212529",
}

# Where a gauge turns amber, then red: a share of the total.
WARNING_AT = 0.9
DANGER_AT = 1.0

# The bar charts' drawing area, in viewBox units.
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 68, 16, 20, 36


def _text(value: object) -> str:
    """``value`` escaped for an element's text or an attribute in quotes."""
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    """A coordinate, short: no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _finite(value: float | None) -> float:
    """``value`` as a number ≥ 0 to draw (None, NaN, negatives draw as 0)."""
    if value is None or not isinstance(value, int | float):
        return 0.0
    return float(value) if math.isfinite(value) and value > 0 else 0.0


def count(value: float) -> str:
    """A count as read at a glance: ``1,234``."""
    return f"{value:,.0f}"


def money(value: float) -> str:
    """An amount with cents: ``1,234.50``."""
    return f"{value:,.2f}"


def nice_top(value: float) -> float:
    """The round number (1, 2, 2.5 or 5 times a power of ten) at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover (the loop ends at 10)


def _svg(title: str, body: list[str], width: int, height: int, css: str) -> str:
    """The ``<svg>`` around ``body``, named ``title`` for assistive technology."""
    name = _text(title)
    return "".join(
        [
            f'<svg xmlns="{SVG_NS}" class="pleiades-chart {css}" role="img" '
            f'viewBox="0 0 {width} {height}" width="100%" '
            f'preserveAspectRatio="xMidYMid meet" aria-label="{name}">',
            f"<title>{name}</title>",
            *body,
            "</svg>",
        ]
    )


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    cap: float | None = None,
    cap_label: str = "",
    tooltips: Sequence[str] | None = None,
    fmt: Callable[[float], str] = count,
    colour: str = COLOURS["normal"],
    css: str = "bar-chart",
) -> str:
    """Vertical bars, one per ``(label, value)``, with an optional cap line.

    Bars above ``cap`` are drawn in the warning colour. ``tooltips`` gives one
    text per bar (default ``"label: value"``); ``cap_label`` names the cap line.

    :param bars: the labels (under the bars) and values, in order.
    :param title: the chart's accessible name.
    :returns: the ``<svg>`` markup.
    """
    values = [_finite(value) for _label, value in bars]
    limit = _finite(cap) if cap is not None else None
    top = nice_top(max([*values, limit or 0.0]))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    base = TOP + plot_height

    def y(value: float) -> float:
        return base - plot_height * value / top

    body = []
    # The value axis: four steps of the round top, with a faint grid line each.
    for step in range(5):
        value = top * step / 4
        body.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
            f'y1="{_number(y(value))}" y2="{_number(y(value))}" '
            f'stroke="{COLOURS["grid"]}" stroke-width="1"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{_number(y(value) + 4)}" '
            f'text-anchor="end" font-size="11" fill="{COLOURS["text"]}">'
            f"{_text(fmt(value))}</text>"
        )
    slot = plot_width / len(bars) if bars else plot_width
    bar_width = slot * 0.7
    for index, ((label, _value), value) in enumerate(zip(bars, values, strict=True)):
        over = limit is not None and value > limit
        x = LEFT + slot * index + (slot - bar_width) / 2
        tooltip = (
            tooltips[index]
            if tooltips is not None and index < len(tooltips)
            else f"{label}: {fmt(value)}"
        )
        body.append(
            f'<rect class="bar{" over" if over else ""}" x="{_number(x)}" '
            f'y="{_number(y(value))}" width="{_number(bar_width)}" '
            f'height="{_number(base - y(value))}" '
            f'fill="{COLOURS["warning"] if over else colour}" '
            f'data-value="{_text(fmt(value))}">'
            f"<title>{_text(tooltip)}</title></rect>"
        )
        centre = _number(x + bar_width / 2)
        if value > 0:
            body.append(
                f'<text class="value" x="{centre}" y="{_number(y(value) - 4)}" '
                f'text-anchor="middle" font-size="10" fill="{COLOURS["text"]}">'
                f"{_text(fmt(value))}</text>"
            )
        body.append(
            f'<text class="label" x="{centre}" y="{base + 16}" '
            f'text-anchor="middle" font-size="11" fill="{COLOURS["text"]}">'
            f"{_text(label)}</text>"
        )
    body.append(
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" '
        f'y2="{base}" stroke="{COLOURS["border"]}" stroke-width="1"/>'
    )
    if limit is not None:
        name = cap_label or fmt(limit)
        body.append(
            f'<line class="cap" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
            f'y1="{_number(y(limit))}" y2="{_number(y(limit))}" '
            f'stroke="{COLOURS["danger"]}" stroke-width="2" stroke-dasharray="6 4">'
            f"<title>{_text(name)}</title></line>"
            f'<text class="cap-label" x="{WIDTH - RIGHT}" '
            f'y="{_number(y(limit) - 5)}" text-anchor="end" font-size="11" '
            f'fill="{COLOURS["danger"]}">{_text(name)}</text>'
        )
    return _svg(title, body, WIDTH, HEIGHT, css)


def monthly_chart(
    months: Sequence[tuple[str, float]],
    *,
    title: str,
    cap: float | None = None,
    cap_label: str = "",
    tooltips: Sequence[str] | None = None,
) -> str:
    """Counts per month (acquisition attempts) against the monthly cap."""
    return bar_chart(
        months,
        title=title,
        cap=cap,
        cap_label=cap_label,
        tooltips=tooltips,
        css="monthly-chart",
    )


def money_chart(
    months: Sequence[tuple[str, float]],
    *,
    title: str,
    currency: str = "",
    tooltips: Sequence[str] | None = None,
) -> str:
    """Amounts per month (beyond-quota spending), with cents in the tooltips."""
    suffix = f" {currency}" if currency else ""
    return bar_chart(
        months,
        title=title,
        tooltips=tooltips
        if tooltips is not None
        else [f"{label}: {money(_finite(value))}{suffix}" for label, value in months],
        fmt=lambda value: f"{value:,.0f}",
        colour=COLOURS["money"],
        css="money-chart",
    )


def share(used: float, total: float) -> float:
    """``used`` as a share of ``total``; of a zero total, anything used is all."""
    used, total = _finite(used), _finite(total)
    if total == 0:
        return 1.0 if used > 0 else 0.0
    return used / total


def level(used: float, total: float) -> str:
    """``normal``, ``warning`` (from 90 %) or ``danger`` (from 100 %)."""
    ratio = share(used, total)
    if ratio >= DANGER_AT:
        return "danger"
    if ratio >= WARNING_AT:
        return "warning"
    return "normal"


def percent(used: float, total: float) -> int:
    """The whole per cent used, rounded down: 99.6 % reads 99, not a full 100."""
    return math.floor(share(used, total) * 100 + 1e-9)


def gauge(used: float, total: float, *, title: str, fmt=count) -> str:
    """A horizontal gauge of ``used`` out of ``total``, with the percentage.

    The filling is amber from 90 % and red from 100 % (it never draws past the
    end); the text under it reads ``used / total`` and the per cent.

    :param title: the gauge's accessible name, such as "Yearly rights: 1,234 of
        5,000 attempts used (24 %)".
    :returns: the ``<svg>`` markup.
    """
    width, height, bar = 320, 44, 18
    state = level(used, total)
    filled = width * min(share(used, total), 1.0)
    figures = f"{fmt(_finite(used))} / {fmt(_finite(total))}"
    body = [
        f'<rect class="track" x="0.5" y="0.5" width="{width - 1}" height="{bar}" '
        f'rx="3" fill="{COLOURS["track"]}" stroke="{COLOURS["border"]}"/>',
        f'<rect class="fill {state}" x="0.5" y="0.5" '
        f'width="{_number(max(filled - 1, 0))}" height="{bar}" rx="3" '
        f'fill="{COLOURS[state]}"><title>{_text(title)}</title></rect>',
        f'<text class="figures" x="0" y="{height - 6}" font-size="13" '
        f'fill="{COLOURS["text"]}">{_text(figures)}</text>',
        f'<text class="percent" x="{width}" y="{height - 6}" font-size="13" '
        f'font-weight="bold" text-anchor="end" fill="{COLOURS["text"]}">'
        f"{percent(used, total)} %</text>",
    ]
    return _svg(title, body, width, height, f"gauge gauge-{state}")


def history_chart(
    runs: Sequence[tuple[str, float, bool]],
    *,
    title: str,
    tooltips: Sequence[str] | None = None,
    fmt: Callable[[float], str] = count,
    colour: str = COLOURS["normal"],
    line: bool = False,
    css: str = "history-chart",
) -> str:
    """One value per run, oldest first, as bars (or a line); failed runs in red.

    A failed run's slot is shaded red behind its bar or point, so that a run
    that failed before copying anything still shows. The labels under the axis
    are thinned to about ten, counted from the newest.

    :param runs: ``(label, value, failed)`` per run, in time order.
    :param title: the chart's accessible name.
    :param line: a line through the values, a point per run, instead of bars.
    :returns: the ``<svg>`` markup.
    """
    values = [_finite(value) for _label, value, _failed in runs]
    top = nice_top(max(values, default=0.0))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    base = TOP + plot_height
    slot = plot_width / len(runs) if runs else plot_width
    every = math.ceil(len(runs) / 10) if runs else 1

    def y(value: float) -> float:
        return base - plot_height * value / top

    body = []
    for step in range(5):
        value = top * step / 4
        body.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
            f'y1="{_number(y(value))}" y2="{_number(y(value))}" '
            f'stroke="{COLOURS["grid"]}" stroke-width="1"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{_number(y(value) + 4)}" '
            f'text-anchor="end" font-size="11" fill="{COLOURS["text"]}">'
            f"{_text(fmt(value))}</text>"
        )
    points, marks = [], []
    for index, ((label, _value, failed), value) in enumerate(
        zip(runs, values, strict=True)
    ):
        left = LEFT + slot * index
        centre = left + slot / 2
        tooltip = (
            tooltips[index]
            if tooltips is not None and index < len(tooltips)
            else f"{label}: {fmt(value)}"
        )
        fill = COLOURS["danger"] if failed else colour
        state = " failed" if failed else ""
        if failed:
            body.append(
                f'<rect class="failed-slot" x="{_number(left)}" y="{TOP}" '
                f'width="{_number(slot)}" height="{plot_height}" '
                f'fill="{COLOURS["danger"]}" fill-opacity="0.12"/>'
            )
        if line:
            points.append(f"{_number(centre)},{_number(y(value))}")
            marks.append(
                f'<circle class="point{state}" cx="{_number(centre)}" '
                f'cy="{_number(y(value))}" r="{5 if failed else 3.5}" '
                f'fill="{fill}" data-value="{_text(fmt(value))}">'
                f"<title>{_text(tooltip)}</title></circle>"
            )
        else:
            width = slot * 0.7
            body.append(
                f'<rect class="bar{state}" x="{_number(centre - width / 2)}" '
                f'y="{_number(y(value))}" width="{_number(width)}" '
                f'height="{_number(base - y(value))}" fill="{fill}" '
                f'data-value="{_text(fmt(value))}">'
                f"<title>{_text(tooltip)}</title></rect>"
            )
        if (len(runs) - 1 - index) % every == 0:  # the newest always named
            body.append(
                f'<text class="label" x="{_number(centre)}" y="{base + 16}" '
                f'text-anchor="middle" font-size="11" fill="{COLOURS["text"]}">'
                f"{_text(label)}</text>"
            )
    body.append(
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" '
        f'y2="{base}" stroke="{COLOURS["border"]}" stroke-width="1"/>'
    )
    if len(points) > 1:
        body.append(
            f'<polyline class="line" points="{" ".join(points)}" fill="none" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
    body.extend(marks)
    return _svg(title, body, WIDTH, HEIGHT, css)
