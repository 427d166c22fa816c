"""The HTML reports in a real headless chromium: they load with no console error, exception or
refused request, ask for nothing but their own file, every chart renders at a real size, the
KPI table sorts on a click, the pointer readout answers over a chart, and the screenshot is a
picture rather than a blank page. The PDF's first page is rendered too (``pdftoppm``).

The screenshots go to ``$TWIN_SCREENSHOTS`` when it is set (``.ci/run`` sets it to
``reports/screenshots``, so a CI run keeps them) and to the test's temporary folder otherwise.
Chromium is Debian's package, installed by ``.ci/run``; without it the tests skip, except where
``$TWIN_REQUIRE_BROWSER`` is set (in CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from chromium import Browser, chromium, find_chromium
from click.testing import CliRunner
from matplotlib.image import imread

from twin.cli import cli

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"
SMALL = REPO / "tests" / "cli" / "fixtures" / "small.yaml"
CHROMIUM = find_chromium()

#: Set by ``.ci/run``: a missing chromium or pdftoppm fails there instead of skipping.
REQUIRED = bool(os.environ.get("TWIN_REQUIRE_BROWSER"))


def missing(what: str) -> None:
    """Skip for want of `what`, or fail where the browser test is required."""
    message = f"{what} is not installed (apt-get install chromium poppler-utils; .ci/run does)"
    if REQUIRED:
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)


if CHROMIUM is None:
    missing("chromium")

#: What a chart must measure in the page (CSS pixels): the page is 1280 wide, so a chart
#: drawn full width is over 1,000 pixels wide; a broken one collapses to nothing.
MIN_CHART = (600.0, 150.0)

#: Every chart's size, the number of drawn shapes in it, and how many panels the readout knows.
CHARTS_JS = """
Array.from(document.querySelectorAll("figure.chart")).map(function (f) {
  var s = f.querySelector("svg"), r = s.getBoundingClientRect();
  return {width: r.width, height: r.height, shapes: s.querySelectorAll("path, use").length,
          panels: JSON.parse(f.getAttribute("data-axes")).length};
})
"""

#: Click the first table's header `column` and read that column's sort keys, top to bottom.
SORT_JS = """
(function (column) {
  var table = document.querySelector("table.sortable");
  table.querySelectorAll("thead th")[column].click();
  return Array.from(table.tBodies[0].rows).map(function (row) {
    return row.cells[column].getAttribute("data-sort");
  });
})(%d)
"""

#: Move the pointer to the middle of the first chart's first panel; return the readout's text.
HOVER_JS = """
(function () {
  var chart = document.querySelector("figure.chart");
  var svg = chart.querySelector("svg"), box = svg.getBoundingClientRect();
  var p = JSON.parse(chart.getAttribute("data-axes"))[0].box;
  var x = box.left + box.width * (p[0] + p[2]) / 2;
  var y = box.top + box.height * (1 - (p[1] + p[3]) / 2);
  svg.dispatchEvent(new MouseEvent("mousemove", {clientX: x, clientY: y, bubbles: true}));
  var readout = chart.querySelector(".readout");
  return [readout.style.display, readout.textContent];
})()
"""


def shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``$TWIN_SCREENSHOTS``, else the test's temporary folder."""
    folder = Path(os.environ.get("TWIN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def assert_a_picture(png: Path) -> None:
    """The image is not blank: many colours, and its pixels vary (a one-colour page has 0)."""
    pixels = imread(png)[..., :3]
    assert pixels.shape[0] > 300 and pixels.shape[1] > 300, pixels.shape
    # a white page with text and charts: its pixels' spread is far above zero, and it holds
    # hundreds of distinct colours (anti-aliased text and lines)
    assert pixels.std() > 0.05, f"{png}: pixel spread {pixels.std():.4f}"
    colours = np.unique((pixels.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
    assert len(colours) > 50, f"{png}: {len(colours)} colours"
    assert (pixels.mean(axis=2) < 0.9).mean() > 0.01  # some of it is ink, not background


def check_page(browser: Browser, page: Path, screenshot: Path, sort_column: int) -> None:
    """Open the page and check everything the module docstring promises."""
    browser.open(page.as_uri())
    assert browser.log.errors() == []
    assert browser.log.requests == [page.as_uri()]  # the page itself and nothing else
    charts = browser.evaluate(CHARTS_JS)
    assert charts, "no chart in the page"
    for number, drawn in enumerate(charts):
        assert drawn["width"] >= MIN_CHART[0] and drawn["height"] >= MIN_CHART[1], (number, drawn)
        assert drawn["shapes"] > 20 and drawn["panels"] >= 1, (number, drawn)
    keys = [float(k) for k in browser.evaluate(SORT_JS % sort_column) if k]
    assert keys == sorted(keys) and len(set(keys)) > 1
    again = [float(k) for k in browser.evaluate(SORT_JS % sort_column) if k]
    assert again == sorted(keys, reverse=True)
    display, text = browser.evaluate(HOVER_JS)
    assert display == "block" and ":" in text, text
    assert browser.log.errors() == []  # nothing went wrong while sorting or hovering
    browser.screenshot(screenshot)
    assert_a_picture(screenshot)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    assert CHROMIUM is not None
    with chromium(CHROMIUM, tmp_path_factory.mktemp("chromium-profile")) as opened:
        yield opened


def invoke(*args: object) -> None:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output  # check and backtest exit 1 on a miss


def test_the_baseline_run_report_and_its_pdf_render(browser: Browser, tmp_path: Path) -> None:
    out = tmp_path / "baseline"
    invoke("run", BASELINE, "--out", out, "--quiet", "--workers", 2)
    folder = shots(tmp_path)
    check_page(browser, out / "report.html", folder / "baseline-report-html.png", sort_column=2)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        missing("pdftoppm")
    first = folder / "baseline-report-pdf-page1"
    pdf = str(out / "report.pdf")
    subprocess.run(
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf, str(first)],
        check=True,
    )
    assert_a_picture(first.with_suffix(".png"))


def test_the_compare_and_sweep_reports_render(browser: Browser, tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(
        f"extends: {SMALL}\nname: small\nrun: {{replications: 3, horizon_days: 40}}\n"
        "variants:\n  more-stock:\n    inventory.default.policy.reorder_point_days: 9\n",
        encoding="utf-8",
    )
    invoke("compare", base, "--out", tmp_path / "cmp", "--workers", 1, "--quiet")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        textwrap.dedent(
            f"""\
            name: tiny-oat
            description: Two levers of the small fixture, one at a time.
            base: {SMALL}
            set: {{run.horizon_days: 30}}
            replications: 1
            kpis: [profit, fill_rate]
            parameters:
              - path: inventory.default.policy.reorder_point_days
                levels: [3, 9]
              - path: staffing.warehouse.headcount
                levels: [2, 3]
            design: {{kind: oat}}
            """
        ),
        encoding="utf-8",
    )
    invoke("sweep", sweep, "--out", tmp_path / "sweep", "--workers", 1, "--quiet")
    folder = shots(tmp_path)
    # the ranking table's first column is the rank; the sweep's index table sorts by size
    check_page(browser, tmp_path / "cmp" / "compare.html", folder / "compare-html.png", 0)
    check_page(browser, tmp_path / "sweep" / "sweep.html", folder / "sweep-html.png", 2)


def test_the_checks_see_a_broken_page(browser: Browser, tmp_path: Path) -> None:
    """The checks can fail: a console error, an exception and a request elsewhere are seen."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><p>broken</p>"
        '<img src="http://127.0.0.1:9/missing.png">'
        "<script>console.error('drawn badly'); undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    browser.open(page.as_uri())
    errors = " | ".join(browser.log.errors())
    assert "drawn badly" in errors and "undefinedFunction" in errors
    assert "http://127.0.0.1:9/missing.png" in browser.log.requests
