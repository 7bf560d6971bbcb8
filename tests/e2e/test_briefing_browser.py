"""The HTML briefing in a real headless browser (Debian's chromium): it renders, offline, with no
console errors, and shows every section."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from sesame.ingest import ingest_exports
from sesame.reports import build_reports, publish_report_folder, write_report_files
from sesame.scoring import score_date
from sesame.settings import Settings
from sesame.transforms.scorecard import load_scorecard
from sesame.warehouse import building, warehouse_lock
from tests.builders import Exports, at

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium: apt-get install chromium"
)
DATES = [date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


@pytest.fixture(scope="module")
def briefing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("briefing")
    settings = Settings(warehouse=root / "warehouse", input=root / "exports")
    exports = Exports()
    for user_id in range(1, 7):
        exports.active_user(user_id, DATES[-1], months=16)
    exports.bill(2, date(2026, 6, 10), paid=None)  # falls at the last date
    exports.negative(3, "life", at(date(2026, 6, 1)))
    exports.rows["negative_records"][-1]["source"] = "<script>alert('x')</script> & co"
    exports.negative(4, "life", at(date(2026, 6, 2)))
    exports.rows["negative_records"][-1]["source"] = '=HYPERLINK("http://evil.example","x")'
    exports.negative(5, "life", at(date(2026, 6, 3)))
    exports.rows["negative_records"][-1]["source"] = "hotel\u202egnp.exe" + "x" * 1_000_000
    exports.write(settings.input)
    card = load_scorecard()
    with warehouse_lock(settings), building(settings, "browser") as con:
        ingest_exports(con, settings.input, "browser")
        for day in DATES:
            score_date(con, settings, card, day, "browser")
        build_reports(con, settings, card, DATES[-1])
        aside = write_report_files(con, settings, DATES[-1], "browser")
    return publish_report_folder(aside, settings, DATES[-1]) / "index.html"


def chromium(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_briefing_renders_with_no_console_errors(briefing: Path, tmp_path: Path) -> None:
    result = chromium(briefing, tmp_path, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    dom = result.stdout
    for heading in (
        "Headline",
        "Score distribution",
        "Tier migration",
        "Whose score fell, and why",
        "Stuck for 7 months or more",
        "Tier and benefit changes",
        "Borrowing risk among 700+",
        "Negative records",
        "Repair decisions",
        "Population monitoring",
        "Does the score rank risk?",
        "Trend over the month-ends",
        "Data quality",
    ):
        assert f"<h2>{heading}</h2>" in dom
    assert "<script" not in dom  # no script on the page, and no injected one
    assert dom.count("<svg") >= 2


def test_the_briefing_escapes_every_value(briefing: Path) -> None:
    html = briefing.read_text()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in html
    assert "<script" not in html


def test_the_briefing_is_self_contained(briefing: Path) -> None:
    html = briefing.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from the network
    links = set(re.findall(r'href="([^"]+)"', html))
    assert links, "the page links to its files"
    for link in links:
        assert (briefing.parent / link).is_file(), link


def test_the_briefing_screenshot_is_drawn(briefing: Path, tmp_path: Path) -> None:
    shot = tmp_path / "briefing.png"
    result = chromium(briefing, tmp_path, "--window-size=1280,2400", f"--screenshot={shot}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 50_000  # a blank page compresses to a few KB


# Lists what reaches past the viewport's right edge, outside a table (a wide table scrolls
# inside itself), into the DOM for --dump-dom to read. Injected into a copy, never the page.
OVERFLOW_PROBE = """<script>
window.addEventListener('load', () => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(
    (e) => !e.closest('table') && e.getBoundingClientRect().right > width + 1);
  const out = document.createElement('pre');
  out.id = 'overflow';
  out.textContent = document.documentElement.scrollWidth + ' ' + width + ' '
    + wide.slice(0, 10).map((e) => e.tagName + '.' + e.className).join(' ');
  document.body.appendChild(out);
});
</script>"""


@pytest.mark.parametrize("width", [420, 1400])  # a phone, a desktop
def test_the_briefing_never_scrolls_sideways(briefing: Path, tmp_path: Path, width: int) -> None:
    probe = tmp_path / "probe.html"
    probe.write_text(briefing.read_text().replace("</body>", OVERFLOW_PROBE + "</body>"))
    result = chromium(
        probe, tmp_path, f"--window-size={width},2000", "--virtual-time-budget=3000", "--dump-dom"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="overflow">([^<]*)</pre>', result.stdout)
    assert found, result.stdout[-2000:]
    page_width, viewport, *wide = found.group(1).split(" ")
    assert int(page_width) <= int(viewport), wide


def test_exported_csvs_never_hold_a_spreadsheet_formula(briefing: Path) -> None:
    text = (briefing.parent / "report_negative_records.csv").read_text()
    assert "'=HYPERLINK(" in text  # neutralised as OWASP advises: it opens as text
    assert ",=HYPERLINK(" not in text and '"=HYPERLINK(' not in text
    assert "x" * 1_000_000 in text  # the files keep every value whole


def test_the_page_shows_hidden_characters_and_cuts_long_text(briefing: Path) -> None:
    html = briefing.read_text()
    assert "\u202e" not in html  # a right-to-left override would disguise the name
    assert "hotel\\u202egnp.exe" in html
    assert len(html) < 200_000  # a 1 MB value is cut on the page (the CSV holds it)
    assert "characters)" in html


def test_the_briefing_shows_changes_quality_and_trend(briefing: Path) -> None:
    html = briefing.read_text()
    # the headline compares with the previous snapshot, and counts rises as well as falls
    assert f"Changes since the previous snapshot, {DATES[-2]}" in html
    assert "scores rose / fell" in html
    # a data-quality section: the run, its inputs, every export's freshness
    quality = html[html.index('<section id="data-quality">') :]
    quality = quality[: quality.index("</section>")]
    assert "<code>browser</code>" in quality
    assert all(f"<td>{table}</td>" in quality for table in ("users", "bills", "risk_events"))
    # the month-ends' trend: one row per month-end snapshot, newest first
    trend = html[html.index("Trend over the month-ends") :]
    rows = re.findall(
        r'<tr><td class="date">(\d{4}-\d{2}-\d{2})</td>', trend[: trend.index("</section>")]
    )
    assert rows == [str(d) for d in reversed(DATES)]
    # drops by new events apart from drops without one, causes in words beside their codes
    assert "After new events (" in html and "With no new event (" in html
    assert "You paid bills late or have overdue bills." in html
    assert '<span class="code">overdue_payments</span>' in html
    assert "<b>overdue_payments</b>: You paid bills late or have overdue bills." in html
    # negative records newest first (occurred on 3, 2 and 1 June)
    records = html[html.index("<h2>Negative records</h2>") :]
    occurred = re.findall(
        r'<tr><td class="date">(\d{4}-\d{2}-\d{2})</td>', records[: records.index("</section>")]
    )
    assert occurred == ["2026-06-03", "2026-06-02", "2026-06-01"]
    assert "warehouse warehouse" not in html
