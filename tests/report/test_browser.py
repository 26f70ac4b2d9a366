"""Reports in a real browser at 1280 x 800: the decision first and visible without scrolling,
nothing wider than the page, no console errors; screenshots kept in ``test-artifacts/``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import rekrut as rk
from rekrut.cli import demo_experiment_path
from rekrut.report import write_portfolio, write_report

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTH, HEIGHT = 1280, 800

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
    ),
]

# Measures the page as laid out and writes the answer into the DOM for --dump-dom to carry out.
_PROBE = """<script>
(function () {
  var section = document.getElementById("decision");
  var box = section.getBoundingClientRect();
  var firstRow = section.querySelector("tr:nth-child(2)").getBoundingClientRect();
  var headings = Array.from(document.querySelectorAll("h2"));
  var wide = [];
  document.querySelectorAll("body *").forEach(function (el) {
    var r = el.getBoundingClientRect();
    var clipped = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible";
    if (r.right > window.innerWidth + 0.5 || clipped) { wide.push(el.tagName + "." + el.className); }
  });
  var out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({
    top: box.top, bottom: box.bottom, firstRowBottom: firstRow.bottom,
    viewport: window.innerHeight, pageWidth: document.documentElement.scrollWidth,
    firstH2InDecision: headings.length === 0 || section.contains(headings[0]) ||
      headings[0].compareDocumentPosition(section) & Node.DOCUMENT_POSITION_PRECEDING,
    wide: wide.slice(0, 10)
  });
  document.body.appendChild(out);
})();
</script>"""


def _flags(profile: Path) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{HEIGHT}",
        "--enable-logging=stderr",
        "--v=0",
    ]


def _check_in_browser(
    page: Path, tmp_path: Path, name: str, min_bytes: int = 20_000
) -> dict[str, object]:
    assert CHROMIUM is not None
    html = page.read_text(encoding="utf-8")
    # self-contained: no scripts, nothing fetched (XML namespaces name URLs but load nothing)
    assert "<script" not in html
    assert "<link" not in html
    assert not re.search(r"""(src|href)=["']?https?:|url\((?!#)|@import""", html)
    probe = tmp_path / f"probe-{name}.html"
    probe.write_text(html.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    run = subprocess.run(
        [CHROMIUM, *_flags(tmp_path / "profile"), "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Uncaught" not in run.stderr
    console_errors = [
        line for line in run.stderr.splitlines() if "CONSOLE" in line and "ERROR" in line
    ]
    assert not console_errors
    start = run.stdout.index('<pre id="probe">') + len('<pre id="probe">')
    geometry: dict[str, object] = json.loads(
        run.stdout[start : run.stdout.index("</pre>", start)].replace("&amp;", "&")
    )
    folder = ARTIFACTS if min_bytes else tmp_path
    folder.mkdir(exist_ok=True)
    shot = folder / f"{name}.png"
    subprocess.run(
        [CHROMIUM, *_flags(tmp_path / "profile"), f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > min_bytes  # a rendered page, not a blank one
    return geometry


def _assert_decision_first_and_fits(geometry: dict[str, object]) -> None:
    assert geometry["firstH2InDecision"]
    assert 0 <= float(geometry["top"]) < HEIGHT / 3  # type: ignore[arg-type]
    assert float(geometry["bottom"]) <= HEIGHT, geometry  # type: ignore[arg-type]
    assert geometry["pageWidth"] == WIDTH - 0 or int(geometry["pageWidth"]) <= WIDTH  # type: ignore[call-overload]
    assert geometry["wide"] == [], geometry["wide"]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_report_opens_with_the_decision_at_1280_by_800(lang: str, tmp_path: Path) -> None:
    result = rk.analyze(demo_experiment_path())
    page = write_report(result, tmp_path / f"rapport-{lang}.html", lang=lang)  # type: ignore[arg-type]
    _assert_decision_first_and_fits(_check_in_browser(page, tmp_path, f"report-{lang}"))
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") == 2  # the forest plot and the cost picture, inline


def test_bayesian_report_fits_too(tmp_path: Path) -> None:
    result = rk.analyze(demo_experiment_path(), method="bayesian", rng=1)
    page = write_report(result, tmp_path / "bayes.html", lang="da")
    _assert_decision_first_and_fits(_check_in_browser(page, tmp_path, "report-bayes-da"))


@pytest.mark.parametrize("lang", ["da", "en"])
def test_portfolio_opens_with_the_overview(lang: str, tmp_path: Path) -> None:
    examples = demo_experiment_path().parent
    files = [examples / n for n in ("sosu_kanaltest.toml", "paedagog_fuldtid.toml",
                                    "admin_ordlyd.toml")]  # fmt: skip
    page = write_portfolio(
        files,
        tmp_path / "aarsrapport.html",
        lang=lang,
        kpis=rk.peers.example_kpis(),  # type: ignore[arg-type]
    )
    geometry = _check_in_browser(page, tmp_path, f"portfolio-{lang}")
    assert 0 <= float(geometry["top"]) < HEIGHT / 3  # type: ignore[arg-type]
    assert geometry["wide"] == [], geometry["wide"]


def test_the_probe_sees_what_it_checks(tmp_path: Path) -> None:
    page = tmp_path / "wide.html"
    page.write_text(
        "<!DOCTYPE html><html><body><div style='height:900px'></div>"
        "<section id='decision'><h2>x</h2><table><tr><th>a</th></tr><tr><td>"
        "<div style='width:2000px'>wide</div></td></tr></table></section></body></html>",
        encoding="utf-8",
    )
    geometry = _check_in_browser(page, tmp_path, "probe-check", min_bytes=0)
    assert geometry["wide"]  # an element wider than the page is found
    assert float(geometry["bottom"]) > HEIGHT  # type: ignore[arg-type]  # below the fold is seen
