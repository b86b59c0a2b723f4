import xml.etree.ElementTree as ET

import pytest

from xpm.visualize import bar_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
ROWS = {"dog": {"teacher": 3.1, "student": 40.2}, "teddy bear": {"teacher": 10.0, "student": None}, "cat & <co>": {"teacher": 55.5}}


def _texts(svg: str) -> list[str]:
    return [element.text for element in ET.fromstring(svg).iter(f"{SVG}text")]


def _bars(svg: str) -> list[ET.Element]:
    return [rect for rect in ET.fromstring(svg).iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]


@pytest.mark.parametrize("orientation", ["horizontal", "vertical"])
def test_a_bar_per_value_labels_legend_and_marked_rows(orientation):
    svg = bar_chart_svg(ROWS, marked={"dog"}, marked_name="target class", orientation=orientation, title="AP50",
                        value_format="{:.1f}")
    texts = _texts(svg)
    assert {"dog", "teddy bear", "cat & <co>", "teacher", "student", "target class", "AP50"} <= set(texts)
    assert {"3.1", "40.2", "10.0", "55.5"} <= set(texts) and texts.count("n/a") == 2
    bars = _bars(svg)
    assert len(bars) == 4
    length = "width" if orientation == "horizontal" else "height"
    by_title = {bar.find(f"{SVG}title").text: float(bar.get(length)) for bar in bars}
    assert by_title["cat & <co> teacher: 55.5"] == pytest.approx(320.0)
    assert by_title["dog teacher: 3.1"] == pytest.approx(320.0 * 3.1 / 55.5, abs=0.1)
    bold = [e.text for e in ET.fromstring(svg).iter(f"{SVG}text") if e.get("font-weight") == "bold"]
    assert "dog" in bold and "teddy bear" not in bold


def test_self_contained():
    svg = bar_chart_svg({"a": {"count": 1}})
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("width") and root.get("viewBox")
    assert "<script" not in svg and "href" not in svg and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "target" not in svg  # no marked legend entry without marked rows


def test_series_order_and_all_zero_values():
    svg = bar_chart_svg({"a": {"x": 0, "y": 0}}, series=["y", "x"])
    texts = _texts(svg)
    assert texts.index("y") < texts.index("x")


@pytest.mark.parametrize("rows, kwargs, message", [
    ({}, {}, "at least one row"),
    ({"a": {"x": -1}}, {}, "zero or more"),
    ({"a": {"x": 1}}, {"orientation": "diagonal"}, "orientation"),
    ({"a": {}}, {}, "at least one series"),
])
def test_bad_input_is_refused(rows, kwargs, message):
    with pytest.raises(ValueError, match=message):
        bar_chart_svg(rows, **kwargs)
