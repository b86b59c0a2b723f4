import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from xpm.visualize.charts import bar_chart, curve_panels, histograms, moving_average, save_chart

ROWS = {"dog": {"teacher": 3.1, "student": 40.2}, "teddy bear": {"teacher": 10.0, "student": None}, "cat & <co>": {"teacher": 55.5}}


def _texts(figure):
    figure.canvas.draw()
    return [text.get_text() for text in figure.findobj(lambda artist: hasattr(artist, "get_text"))]


def test_bar_chart_draws_a_bar_per_value_writes_values_and_marks_rows():
    figure = bar_chart(ROWS, marked={"dog"}, marked_name="target class", title="AP50", value_format="{:.1f}")
    axes = figure.axes[0]
    bars = {container.get_label(): [round(bar.get_width(), 1) for bar in container] for container in axes.containers}
    assert bars == {"teacher": [3.1, 10.0, 55.5], "student": [40.2, 0, 0]}
    texts = _texts(figure)
    assert {"3.1", "40.2", "10.0", "55.5", "AP50", "teacher", "student", "target class"} <= set(texts)
    assert texts.count("n/a") == 2
    bold = [tick.get_text() for tick in axes.get_yticklabels() if tick.get_fontweight() == "bold"]
    assert bold == ["dog"]
    assert [tick.get_text() for tick in axes.get_yticklabels()] == list(ROWS)


@pytest.mark.parametrize("rows, message", [({}, "at least one row"), ({"a": {}}, "at least one series")])
def test_bar_chart_refuses_empty_input(rows, message):
    with pytest.raises(ValueError, match=message):
        bar_chart(rows)


def test_curve_panels_a_panel_per_term_a_line_per_run_that_has_it():
    runs = {"teacher": [{"step": 1, "loss_mask": 0.9}, {"step": 2, "loss_mask": 0.5}],
            "student": [{"step": 1, "loss_mask": 0.8, "mean_alpha": 1.0}, {"step": 2, "loss_mask": 0.4, "mean_alpha": 1.1}]}
    figure = curve_panels(runs, ["loss_mask", "mean_alpha"])
    panels = [axes for axes in figure.axes if axes.get_visible()]
    assert [axes.get_title() for axes in panels] == ["loss_mask", "mean_alpha"]
    labelled = [[line for line in axes.lines if not line.get_label().startswith("_")] for axes in panels]
    assert [line.get_label() for line in labelled[0]] == ["teacher", "student"]
    assert [line.get_label() for line in labelled[1]] == ["student"]
    np.testing.assert_allclose(labelled[0][1].get_ydata(), [0.8, 0.6])  # moving average of 0.8, 0.4


def test_moving_average_over_the_window_and_fewer_at_the_start():
    np.testing.assert_allclose(moving_average([1, 2, 3, 4, 5], 2), [1, 1.5, 2.5, 3.5, 4.5])
    np.testing.assert_allclose(moving_average([4, 2], 10), [4, 3])


def test_histograms_share_bins_and_count_every_value():
    figure = histograms({"kept": [0.1, 0.2, 0.9], "left unlabeled": [0.05], "none": []}, bins=4)
    axes = figure.axes[0]
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["kept (3)", "left unlabeled (1)"]
    edges = [0.05, 0.2625, 0.475, 0.6875, 0.9]  # four bins over all values, whichever sample holds them
    outlines = [patch.get_xy() for patch in axes.patches]
    for outline in outlines:
        np.testing.assert_allclose(sorted(set(outline[:, 0].round(6))), edges)
    # A step outline's height over each bin: the tops at x = left edge .. right edge.
    heights = [[outline[2 * i + 1, 1] for i in range(4)] for outline in outlines]
    assert heights == [[2, 0, 0, 1], [1, 0, 0, 0]]


def test_save_chart_writes_png_and_svg(tmp_path):
    paths = save_chart(bar_chart({"a": {"count": 2}}), tmp_path / "chart")
    assert [path.name for path in paths] == ["chart.png", "chart.svg"]
    with Image.open(paths[0]) as picture:
        assert picture.width > 200 and np.asarray(picture.convert("L")).std() > 5
    assert ET.parse(paths[1]).getroot().tag.endswith("svg")
    assert not list(tmp_path.glob(".*partial"))
