"""Cold start, warm rerun, page switch and payload of PHM Navigator, beside a bare Streamlit app in the same run.

    python bench/bench_app.py [--runs 3] [--warm-runs 10] [--geography 2026-04] [--icb CODE ...]

Cold start: from starting the `streamlit run` process to the first page drawn in headless chromium (the
attribution footer for PHM Navigator, the greeting for the bare app). Warm rerun: pressing R on the rendered home
page until the script has run again. Page switch: clicking another page in the sidebar until it has finished.
Payload: all websocket bytes of the first render (the default ICB's Home page), and for each ICB measured (the
app's default and the largest on the geography version, unless ``--icb`` names others) the Home page's map
specification and the websocket bytes of a first render of its Home page (``/?icb=...``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import load_bench_icbs, machine_load  # noqa: E402
from phm_core.settings import DEFAULT_GEOGRAPHY  # noqa: E402
from tools.browser import CHROMIUM_ARGS, ROOT, chromium_path, streamlit_server  # noqa: E402

BARE_MAIN = """import streamlit as st

pages = st.navigation([st.Page("one.py", title="One", default=True), st.Page("two.py", title="Two")])
pages.run()
"""
BARE_ONE = 'import streamlit as st\n\nst.write("Hello from a bare app")\n'
BARE_TWO = 'import streamlit as st\n\nst.write("Second page of a bare app")\n'

WATCH_RUN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__runDone = new Promise(resolve => {
    const t0 = performance.now();
    let sawRunning = false;
    // A fast run can go from running back to notRunning before the observer is called: read each change's old
    // value too, or the run is missed and the timing comes out as NaN.
    const check = (records) => {
      const state = app.getAttribute('data-test-script-state');
      if (state !== 'notRunning') sawRunning = true;
      for (const record of records) {
        if (record.oldValue && record.oldValue !== 'notRunning') sawRunning = true;
      }
      if (sawRunning && state === 'notRunning') { observer.disconnect(); resolve(performance.now() - t0); }
    };
    const observer = new MutationObserver(check);
    observer.observe(app, {attributes: true, attributeFilter: ['data-test-script-state'], attributeOldValue: true});
    setTimeout(() => { observer.disconnect(); resolve(NaN); }, 60000);
  });
}"""


def _wait_idle(page: Page) -> None:
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"
        " === 'notRunning'",
        timeout=120_000,
    )


def cold_start(browser, script: Path, finished_text: str, env: dict[str, str], *, path: str = "") -> tuple[float, int]:
    """Seconds from process start to first render of ``path``, and websocket bytes received for that render."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    received = [0]
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda frame: received.__setitem__(0, received[0] + len(frame))),
    )
    start = time.perf_counter()
    with streamlit_server(script, env=env) as url:
        page.goto(url + path)
        page.get_by_text(finished_text).first.wait_for(timeout=120_000)
        _wait_idle(page)
        elapsed = time.perf_counter() - start
    page.close()
    return elapsed, received[0]


def warm_timings(
    browser, script: Path, finished_text: str, switch: tuple[str, str], env: dict[str, str], runs: int
) -> tuple[list[float], list[float]]:
    """Median and worst warm rerun and page switch, in seconds."""
    reruns, switches = [], []
    with streamlit_server(script, env=env) as url:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(url)
        page.get_by_text(finished_text).first.wait_for(timeout=120_000)
        _wait_idle(page)
        for _ in range(runs):
            page.evaluate(WATCH_RUN)
            page.mouse.click(1400, 980)  # focus the page (an empty corner), then R reruns the script
            page.keyboard.press("r")
            reruns.append(page.evaluate("window.__runDone") / 1000)
        nav = page.locator("[data-testid='stSidebarNav']")
        for i in range(runs):
            page.evaluate(WATCH_RUN)
            nav.get_by_role("link", name=switch[(i + 1) % 2], exact=True).click()
            switches.append(page.evaluate("window.__runDone") / 1000)
            _wait_idle(page)
        page.close()
    return reruns, switches


def map_payload_bytes(icb: str, *, geography_key: str) -> int:
    """Bytes of the Home page's map specification for an ICB (LSOAs by IMD decile, GP practices)."""
    from phm_core import geography, geoversions, loaders, maps

    lsoa = geoversions.load_versioned_lsoa(geography_key)
    lsoas = geography.lsoas_in(lsoa, geography.Footprint(icb, geography=geography_key))
    practices = geoversions.load_versioned_practices(geography_key)
    deck = maps.deprivation_deck(
        lsoas, loaders.load_boundaries("lsoa"), practices=practices[practices["icb_code"] == icb]
    )
    return maps.payload_bytes(deck)


def _summary(values: list[float]) -> str:
    """Median and worst of the timings that finished; a run not seen to finish within 60 s is NaN and counted."""
    done = [v for v in values if v == v]
    missed = len(values) - len(done)
    if not done:
        return f"no run seen to finish (n={len(values)})"
    note = f"; {missed} not seen to finish" if missed else ""
    return f"median {statistics.median(done):6.3f} s, worst {max(done):6.3f} s (n={len(done)}{note})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts per app")
    parser.add_argument("--warm-runs", type=int, default=10, help="reruns and page switches per app")
    parser.add_argument("--geography", default=DEFAULT_GEOGRAPHY, help="geography version (default %(default)s)")
    parser.add_argument("--icb", action="append", help="ICB code(s); default: the default and the largest ICB")
    args = parser.parse_args()
    icbs = load_bench_icbs(args.geography, codes=args.icb)
    geo = "" if args.geography == DEFAULT_GEOGRAPHY else f"&geo={args.geography}"
    with tempfile.TemporaryDirectory() as folder:
        bare = Path(folder) / "bare"
        bare.mkdir()
        (bare / "bare_app.py").write_text(BARE_MAIN)
        (bare / "one.py").write_text(BARE_ONE)
        (bare / "two.py").write_text(BARE_TWO)
        env = {"PHM_DATA_DIR": str(Path(folder) / "data")}
        apps = {
            "bare Streamlit app": (bare / "bare_app.py", "Hello from a bare app", ("One", "Two")),
            "PHM Navigator home": (ROOT / "app.py", "Open Government Licence", ("Home", "About")),
        }
        results: dict[str, dict[str, object]] = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for name, (script, text, switch) in apps.items():
                colds = [cold_start(browser, script, text, env) for _ in range(args.runs)]
                reruns, switches = warm_timings(browser, script, text, switch, env, args.warm_runs)
                results[name] = {
                    "cold": [c[0] for c in colds],
                    "bytes": colds[-1][1],
                    "rerun": reruns,
                    "switch": switches,
                }
            home = apps["PHM Navigator home"]
            first_render = {
                icb.code: cold_start(browser, home[0], home[1], env, path=f"/?icb={icb.code}{geo}") for icb in icbs
            }
            browser.close()
    version = subprocess.run(
        [sys.executable, "-m", "streamlit", "version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"{version}; chromium headless; {machine_load()} at the end")
    for name, figures in results.items():
        print(f"\n{name}")
        print(f"  cold start to first render : {_summary(figures['cold'])}")
        print(f"  warm rerun                 : {_summary(figures['rerun'])}")
        print(f"  page switch                : {_summary(figures['switch'])}")
        print(f"  websocket bytes, first render: {figures['bytes']:,}")
    bare, ours = results["bare Streamlit app"], results["PHM Navigator home"]
    print("\nratios (PHM Navigator / bare app, medians)")
    for key, label in (("cold", "cold start"), ("rerun", "warm rerun"), ("switch", "page switch")):
        ratio = statistics.median(ours[key]) / statistics.median(bare[key])
        print(f"  {label:12s}: {ratio:5.2f}x")
    print(f"\nHome page of each ICB (geography {args.geography})")
    for icb in icbs:
        seconds, received = first_render[icb.code]
        print(
            f"  {icb.label}: map specification {map_payload_bytes(icb.code, geography_key=args.geography):,} bytes; "
            f"first render {received:,} websocket bytes, cold start {seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
