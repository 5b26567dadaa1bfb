"""Map payload per level for the default and the largest ICB, and the map page's rerun after a layer switch.

    python bench/bench_maps.py [--switches 8]

Payload: bytes of the map specification Streamlit sends to the browser (pydeck JSON) for each level, with the
default measure of that level and GP practices shown. Layer switch: in headless chromium, choose another measure
on the Map page and time until the script has finished and the map is redrawn.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from phm_core import geography, loaders, maps, profiles  # noqa: E402
from tools.browser import CHROMIUM_ARGS, chromium_path, streamlit_server  # noqa: E402

DEFAULT_ICB = "E54000023"


def payloads(icb: str) -> dict[str, int]:
    lsoa = loaders.load_lsoa()
    lsoas = geography.lsoas_in(lsoa, geography.Footprint(icb))
    shapes_all = loaders.load_boundaries("lsoa")
    areas = profiles.lsoa_areas_km2(shapes_all)
    practices = loaders.load_practices()
    practices = practices.loc[practices["icb24_code"] == icb]
    sizes = {}
    for level in profiles.MAP_LEVELS:
        measure = profiles.measures_for(level)[0]
        table = profiles.area_measures(lsoas, level=level, areas_km2=areas).set_index("code")
        shapes = profiles.dissolve_by(shapes_all, lsoas, level=level)
        values = table.loc[shapes["code"], measure.key].reset_index(drop=True)
        colours, _ = profiles.colour_measure(values, measure)
        texts = [f"{measure.tooltip_label}: {profiles.format_value(v, measure)}" for v in values]
        names = table.loc[shapes["code"], "name"].tolist()
        layers = [maps.choropleth_layer(shapes, names=names, values=texts, colours=colours, layer_id=level)]
        layers.append(maps.practices_layer(practices))
        sizes[level] = maps.payload_bytes(maps.profile_deck(layers, bounds=shapes.total_bounds))
    return sizes


def layer_switch_times(switches: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    watch = """() => {
      const app = document.querySelector('[data-testid="stApp"]');
      window.__runDone = new Promise(resolve => {
        const t0 = performance.now(); let seen = false;
        const observer = new MutationObserver(() => {
          const state = app.getAttribute('data-test-script-state');
          if (state !== 'notRunning') seen = true;
          if (seen && state === 'notRunning') { observer.disconnect(); resolve(performance.now() - t0); }
        });
        observer.observe(app, {attributes: true});
        setTimeout(() => { observer.disconnect(); resolve(NaN); }, 60000);
      });
    }"""
    options = ["Population: Share aged 65 and over", "Deprivation: IMD 2025: national decile (1 = most deprived 10%)"]
    times = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        with streamlit_server(env={"PHM_DATA_DIR": folder}) as url:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(url + "/maps")
            page.get_by_text("Open Government Licence").first.wait_for(timeout=120_000)
            page.locator("[data-testid='stDeckGlJsonChart'] canvas").first.wait_for(timeout=60_000)
            for i in range(switches + 1):
                page.locator("[data-testid='stSelectbox']").filter(has_text="Show").click()
                page.keyboard.type(options[i % 2].split(": ", 1)[1][:20])  # type to filter the long list
                option = page.get_by_role("option", name=options[i % 2], exact=True)
                option.wait_for()
                page.evaluate(watch)  # time from the choice to the finished rerun, not the typing
                option.click()
                elapsed = page.evaluate("window.__runDone") / 1000
                if i > 0:  # the first switch fills the cache for both layers
                    times.append(elapsed)
                time.sleep(0.3)
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switches", type=int, default=8)
    args = parser.parse_args()
    lsoa = loaders.load_lsoa()
    largest = lsoa.groupby("icb24_code")["pop_total"].sum().idxmax()
    names = lsoa.drop_duplicates("icb24_code").set_index("icb24_code")["icb24_name"].map(geography.short_icb_name)
    for icb in (DEFAULT_ICB, largest):
        count = int((lsoa["icb24_code"] == icb).sum())
        print(f"\nmap payload, {names[icb]} ({icb}, {count:,} LSOAs), default measure + GP practices:")
        for level, size in payloads(icb).items():
            print(f"  {level:8s} {size:>10,} bytes")
    times = layer_switch_times(args.switches)
    print(
        f"\nMap page, rerun after a layer switch (default ICB, LSOA level, in chromium): median "
        f"{statistics.median(times):.3f} s, worst {max(times):.3f} s (n={len(times)})"
    )


if __name__ == "__main__":
    main()
