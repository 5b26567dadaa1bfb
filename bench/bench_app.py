"""Cold start, warm rerun, page switch and payload of PHM Navigator, beside a bare Streamlit app in the same run.

    python bench/bench_app.py [--runs 3]

Cold start: from starting the `streamlit run` process to the first page drawn in headless chromium (the
attribution footer for PHM Navigator, the greeting for the bare app). Warm rerun: pressing R on the rendered home
page until the script has run again. Page switch: clicking another page in the sidebar until it has finished.
Payload: the map specification for the default ICB, and all websocket bytes of the first render.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def cold_start(browser, script: Path, finished_text: str, env: dict[str, str]) -> tuple[float, int]:
    """Seconds from process start to first render, and websocket bytes received for that render."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    received = [0]
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda frame: received.__setitem__(0, received[0] + len(frame))),
    )
    start = time.perf_counter()
    with streamlit_server(script, env=env) as url:
        page.goto(url)
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


def map_payload_bytes(icb: str) -> int:
    from phm_core import geography, loaders, maps

    lsoa = loaders.load_lsoa()
    lsoas = geography.lsoas_in(lsoa, geography.Footprint(icb))
    practices = loaders.load_practices()
    deck = maps.deprivation_deck(
        lsoas, loaders.load_boundaries("lsoa"), practices=practices[practices["icb24_code"] == icb]
    )
    return maps.payload_bytes(deck)


def _summary(values: list[float]) -> str:
    return f"median {statistics.median(values):6.3f} s, worst {max(values):6.3f} s (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts per app")
    parser.add_argument("--warm-runs", type=int, default=10, help="reruns and page switches per app")
    args = parser.parse_args()
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
            browser.close()
    version = subprocess.run(
        [sys.executable, "-m", "streamlit", "version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    load = os.getloadavg()[0]
    print(f"{version}; chromium headless; 2 cores; load average at the end {load:.1f}")
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
    for icb, label in (("E54000023", "default ICB (Suffolk and North East Essex)"),):
        print(f"\nmap payload, {label}: {map_payload_bytes(icb):,} bytes")


if __name__ == "__main__":
    main()
