"""The dashboard's SVG charts: bars, the cap line, gauges, and hostile labels."""

from belspo.pleiades.browser import charts
from xml.etree import ElementTree

import pytest


NS = {"svg": charts.SVG_NS}
MONTHS = [(f"2026-{month:02d}", 0) for month in range(1, 13)]


def parse(markup: str) -> ElementTree.Element:
    """The ``<svg>`` element; parsing fails on anything that is not well-formed."""
    svg = ElementTree.fromstring(markup)
    assert svg.tag == f"{{{charts.SVG_NS}}}svg"
    return svg


def bars(svg) -> list[ElementTree.Element]:
    return [
        rect
        for rect in svg.iterfind("svg:rect", NS)
        if "bar" in rect.get("class").split()
    ]


def height(rect) -> float:
    return float(rect.get("height"))


def texts(svg, css: str) -> list[str]:
    return [t.text for t in svg.iterfind("svg:text", NS) if t.get("class") == css]


def test_nice_top():
    assert [charts.nice_top(v) for v in (0, 0.3, 1, 7, 600, 601, 2400)] == [
        1.0,
        0.5,
        1,
        10,
        1000,
        1000,
        2500,
    ]


class TestMonthlyChart:
    @pytest.fixture(autouse=True)
    def _setup(self):
        months = list(MONTHS)
        months[0] = ("2026-01", 300)
        months[1] = ("2026-02", 600)
        months[2] = ("2026-03", 900)
        self.svg = parse(
            charts.monthly_chart(
                months, title="Attempts per month", cap=600, cap_label="Cap: 600"
            )
        )
        self.bars = bars(self.svg)

    def test_accessible_and_scalable(self):
        assert self.svg.get("role") == "img"
        assert self.svg.get("aria-label") == "Attempts per month"
        assert self.svg.find("svg:title", NS).text == "Attempts per month"
        assert self.svg.get("viewBox") == f"0 0 {charts.WIDTH} {charts.HEIGHT}"

    def test_one_bar_a_month_with_its_tooltip(self):
        assert len(self.bars) == 12
        assert [b.find("svg:title", NS).text for b in self.bars[:3]] == [
            "2026-01: 300",
            "2026-02: 600",
            "2026-03: 900",
        ]
        assert texts(self.svg, "label") == [label for label, _ in MONTHS]

    def test_heights_are_proportional(self):
        assert height(self.bars[1]) == pytest.approx(2 * height(self.bars[0]))
        assert height(self.bars[2]) == pytest.approx(3 * height(self.bars[0]))
        assert all(height(b) == 0 for b in self.bars[3:])
        # Bars stand on the same base line.
        bases = {float(b.get("y")) + height(b) for b in self.bars}
        assert len(bases) == 1

    def test_bars_above_the_cap_warn(self):
        over = [b for b in self.bars if "over" in b.get("class").split()]
        assert over == [self.bars[2]]  # at the cap is not above it
        assert over[0].get("fill") == charts.COLOURS["warning"]
        assert self.bars[1].get("fill") == charts.COLOURS["normal"]

    def test_cap_line_at_the_cap(self):
        (line,) = self.svg.iterfind("svg:line[@class='cap']", NS)
        assert line.find("svg:title", NS).text == "Cap: 600"
        # The cap line is level with the top of the bar that reaches it.
        assert float(line.get("y1")) == pytest.approx(float(self.bars[1].get("y")))
        assert line.get("y1") == line.get("y2")
        assert texts(self.svg, "cap-label") == ["Cap: 600"]

    def test_values_written_on_the_bars(self):
        assert texts(self.svg, "value") == ["300", "600", "900"]


def test_no_cap_no_line():
    svg = parse(charts.monthly_chart([("2026-01", 5)], title="Attempts"))
    assert svg.find("svg:line[@class='cap']", NS) is None
    assert not [b for b in bars(svg) if "over" in b.get("class")]


def test_cap_above_every_bar_fits_in_the_chart():
    svg = parse(charts.monthly_chart([("2026-01", 5)], title="A", cap=600))
    (line,) = svg.iterfind("svg:line[@class='cap']", NS)
    assert charts.TOP <= float(line.get("y1")) < charts.HEIGHT - charts.BOTTOM


@pytest.mark.parametrize(
    "data",
    [
        [],
        MONTHS,
        [("2026-01", None), ("2026-02", float("nan")), ("2026-03", -4)],
    ],
)
def test_empty_or_nothing_to_draw(data):
    svg = parse(charts.monthly_chart(data, title="Attempts", cap=0))
    assert len(bars(svg)) == len(data)
    assert all(height(b) == 0 for b in bars(svg))


def test_tooltips_given_by_the_caller():
    svg = parse(
        charts.monthly_chart(
            [("03", 1), ("04", 2)], title="A", tooltips=["March: 1", "April: 2"]
        )
    )
    assert [b.find("svg:title", NS).text for b in bars(svg)] == [
        "March: 1",
        "April: 2",
    ]


HOSTILE = '<script>alert("x")</script> & \' "'


def test_hostile_texts_are_escaped():
    markup = charts.monthly_chart(
        [(HOSTILE, 3)],
        title=HOSTILE,
        cap=2,
        cap_label=HOSTILE,
        tooltips=[HOSTILE],
    )
    assert "<script>" not in markup
    svg = parse(markup)
    assert svg.get("aria-label") == HOSTILE
    assert svg.find("svg:title", NS).text == HOSTILE
    assert svg.find("svg:script", NS) is None
    assert texts(svg, "label") == [HOSTILE]
    assert bars(svg)[0].find("svg:title", NS).text == HOSTILE
    gauge = charts.gauge(1, 2, title=HOSTILE)
    assert "<script>" not in gauge
    assert parse(gauge).get("aria-label") == HOSTILE
    money = charts.money_chart([(HOSTILE, 1)], title=HOSTILE, currency=HOSTILE)
    assert "<script>" not in money
    assert bars(parse(money))[0].find("svg:title", NS).text == (
        f"{HOSTILE}: 1.00 {HOSTILE}"
    )


class TestMoneyChart:
    def test_amounts_with_cents_in_tooltips(self):
        svg = parse(
            charts.money_chart(
                [("2026-01", 0), ("2026-02", 1234.5), ("2026-03", 617.25)],
                title="Beyond-quota spending",
                currency="EUR",
            )
        )
        found = bars(svg)
        assert [b.find("svg:title", NS).text for b in found] == [
            "2026-01: 0.00 EUR",
            "2026-02: 1,234.50 EUR",
            "2026-03: 617.25 EUR",
        ]
        assert height(found[1]) == pytest.approx(2 * height(found[2]))
        assert {b.get("fill") for b in found} == {charts.COLOURS["money"]}
        assert svg.find("svg:line[@class='cap']", NS) is None
        assert "money-chart" in svg.get("class")


class TestGauge:
    def fill(self, svg):
        return next(r for r in svg.iterfind("svg:rect", NS) if "fill" in r.get("class"))

    def track(self, svg):
        return next(
            r for r in svg.iterfind("svg:rect", NS) if r.get("class") == "track"
        )

    @pytest.mark.parametrize(
        "used,total,state,percent",
        [
            (0, 5000, "normal", "0 %"),
            (1234, 5000, "normal", "24 %"),
            (4499, 5000, "normal", "89 %"),
            (4500, 5000, "warning", "90 %"),
            (4999, 5000, "warning", "99 %"),
            (5000, 5000, "danger", "100 %"),
            (6000, 5000, "danger", "120 %"),
        ],
    )
    def test_states_and_percent(self, used, total, state, percent):
        svg = parse(charts.gauge(used, total, title="Yearly rights"))
        assert svg.get("role") == "img"
        assert svg.get("aria-label") == "Yearly rights"
        assert f"gauge-{state}" in svg.get("class")
        assert self.fill(svg).get("fill") == charts.COLOURS[state]
        assert texts(svg, "percent") == [percent]
        assert texts(svg, "figures") == [f"{used:,} / {total:,}"]

    def test_filling_proportional_and_never_past_the_end(self):
        half = parse(charts.gauge(50, 100, title="G"))
        full = parse(charts.gauge(300, 100, title="G"))
        track = float(self.track(half).get("width"))
        assert float(self.fill(half).get("width")) == pytest.approx(track / 2, abs=1)
        assert float(self.fill(full).get("width")) == pytest.approx(track)

    @pytest.mark.parametrize(
        "used,state,percent", [(0, "normal", "0 %"), (3, "danger", "100 %")]
    )
    def test_zero_total(self, used, state, percent):
        svg = parse(charts.gauge(used, 0, title="No rights"))
        assert f"gauge-{state}" in svg.get("class")
        assert texts(svg, "percent") == [percent]

    def test_viewbox_scales(self):
        svg = parse(charts.gauge(1, 2, title="G"))
        assert svg.get("viewBox").startswith("0 0 ")
        assert svg.get("width") == "100%"
