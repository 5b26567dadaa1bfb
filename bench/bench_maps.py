"""Map payload per level for the default and the largest ICB, and the map page's rerun after a layer switch.

    python bench/bench_maps.py [--geography 2026-04] [--icb CODE ...] [--switches 8] [--no-browser]

Payload: bytes of the map specification Streamlit sends to the browser (pydeck JSON) on every rerun, as the app
builds it: the Map page at each level (LSOA, MSOA, place, sub-ICB) with the default measure of that level and GP
practices shown; the Home page map (LSOAs by IMD decile, GP practices); the Neighbourhoods page map
(``phm_core.maps.neighbourhood_deck``, every LSOA of the ICB, coloured by the PCN-based first suggestion); for a
new ICB, the Home page's second map of the pieces it came from (``phm_core.maps.pieces_deck``). The
ICBs are the app's default and the largest on the geography version, unless ``--icb`` names others. Layer
switch: in headless chromium, choose another measure on the Map page (LSOA level) and time until the script has
finished and the map is redrawn, for each ICB.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402

from bench.common import BenchICB, bench_icbs, machine_load  # noqa: E402
from phm_core import geography, geoversions, loaders, maps, neighbourhoods, profiles  # noqa: E402
from phm_core.settings import DEFAULT_GEOGRAPHY  # noqa: E402
from tools.browser import CHROMIUM_ARGS, chromium_path, streamlit_server  # noqa: E402

#: The limit the map payload of the largest ICB must stay under (issue "Scale to the new largest ICB").
PAYLOAD_LIMIT_BYTES = 1_200_000


def level_payloads(
    lsoas: pd.DataFrame, shapes_all: gpd.GeoDataFrame, areas: pd.Series, practices: pd.DataFrame
) -> dict[str, int]:
    """Bytes of the Map page's deck at each level (default measure, GP practices shown), as ui.profiles builds it."""
    sizes = {}
    bounds = profiles.dissolve_by(shapes_all, lsoas, level="lsoa").total_bounds
    for level in profiles.MAP_LEVELS:
        measure = profiles.measures_for(level)[0]  # type: ignore[arg-type]
        table = profiles.area_measures(lsoas, level=level, areas_km2=areas).set_index("code")  # type: ignore[arg-type]
        shapes = profiles.dissolve_by(shapes_all, lsoas, level=level)  # type: ignore[arg-type]
        values = table.loc[shapes["code"], measure.key]
        colours, _ = profiles.colour_measure(values.reset_index(drop=True), measure)
        texts = [f"{measure.tooltip_label}: {profiles.format_value(v, measure)}" for v in values]
        names = table.loc[shapes["code"], "name"].tolist()
        layers = [maps.choropleth_layer(shapes, names=names, values=texts, colours=colours, layer_id=f"{level}-areas")]
        layers.append(maps.practices_layer(practices))
        sizes[f"Map page, {level}"] = maps.payload_bytes(maps.profile_deck(layers, bounds=bounds))
    return sizes


def payloads(
    icb: BenchICB,
    lsoa: pd.DataFrame,
    practices_all: pd.DataFrame,
    shapes_all: gpd.GeoDataFrame,
    *,
    key: str,
    previous: pd.DataFrame | None = None,
) -> dict:
    """Every map payload of one ICB, in bytes, and the number of neighbourhoods the Neighbourhoods map shows.

    ``previous`` is the LSOA table on the version before ``key``: for an ICB it lacks, the Home page also draws
    the pieces the ICB came from.
    """
    lsoas = geography.lsoas_in(lsoa, geography.Footprint(icb.code, geography=key))
    practices = practices_all.loc[practices_all["icb_code"] == icb.code]
    sizes = level_payloads(lsoas, shapes_all, profiles.lsoa_areas_km2(shapes_all), practices)
    sizes["Home page"] = maps.payload_bytes(maps.deprivation_deck(lsoas, shapes_all, practices=practices))
    suggested = neighbourhoods.suggest_from_pcns(lsoa, icb_code=icb.code)
    assignment = {code: n.name for n in suggested for code in n.lsoa_codes}
    deck = maps.neighbourhood_deck(lsoas, shapes_all, assignment=assignment, order=[n.name for n in suggested])
    sizes["Neighbourhoods page"] = maps.payload_bytes(deck)
    if previous is not None and icb.code not in set(previous["icb_code"]):  # a new ICB: where it came from
        pieces = lsoas.merge(
            previous[["lsoa21_code", "icb_code"]].rename(columns={"icb_code": "predecessor"}), on="lsoa21_code"
        )
        labels = previous.drop_duplicates("icb_code").set_index("icb_code")["icb_name"].map(geography.short_icb_name)
        deck = maps.pieces_deck(pieces, shapes_all, piece_column="predecessor", labels=labels.to_dict())
        sizes["Home page, predecessors"] = maps.payload_bytes(deck)
    return {"sizes": sizes, "neighbourhoods": len(suggested)}


def layer_switch_times(switches: int, *, icb: str, geography_key: str) -> list[float]:
    """Seconds from choosing another measure on the Map page (LSOA level) to the finished rerun, for one ICB."""
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
    query = f"?icb={icb}" + ("" if geography_key == DEFAULT_GEOGRAPHY else f"&geo={geography_key}")
    times = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        with streamlit_server(env={"PHM_DATA_DIR": folder}) as url:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(url + "/maps" + query)
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
    parser.add_argument("--geography", default=DEFAULT_GEOGRAPHY, help="geography version (default %(default)s)")
    parser.add_argument("--icb", action="append", help="ICB code(s); default: the default and the largest ICB")
    parser.add_argument("--switches", type=int, default=8, help="layer switches timed per ICB in chromium")
    parser.add_argument("--no-browser", action="store_true", help="payloads only (no layer-switch timing)")
    args = parser.parse_args()
    lsoa = geoversions.load_versioned_lsoa(args.geography)
    practices = geoversions.load_versioned_practices(args.geography)
    shapes_all = loaders.load_boundaries("lsoa")
    icbs = bench_icbs(lsoa, codes=args.icb)
    versions = sorted(geoversions.load_shipped_versions().values(), key=lambda v: v.effective_from)
    keys = [v.key for v in versions]
    before = keys.index(args.geography) - 1 if args.geography in keys else -1
    previous = geoversions.load_versioned_lsoa(keys[before]) if before >= 0 else None
    print(f"geography {args.geography}; {machine_load()}")
    over = []
    for icb in icbs:
        result = payloads(icb, lsoa, practices, shapes_all, key=args.geography, previous=previous)
        count = int((practices["icb_code"] == icb.code).sum())
        print(f"\nmap payload, {icb.label}; {count:,} GP practices:")
        for name, size in result["sizes"].items():
            flag = "  OVER the 1.2 MB limit" if size > PAYLOAD_LIMIT_BYTES else ""
            print(f"  {name:25s} {size:>10,} bytes ({size / 1e6:.2f} MB){flag}")
            if flag:
                over.append(f"{icb.name} {name}")
        print(f"  (Neighbourhoods map coloured by {result['neighbourhoods']} PCN-based neighbourhoods)")
    print(f"\n{'over the limit: ' + ', '.join(over) if over else 'every payload is under 1.2 MB'}; {machine_load()}")
    if args.no_browser or args.switches <= 0:
        return
    for icb in icbs:
        times = layer_switch_times(args.switches, icb=icb.code, geography_key=args.geography)
        print(
            f"Map page, rerun after a layer switch ({icb.name}, LSOA level, in chromium): median "
            f"{statistics.median(times):.3f} s, worst {max(times):.3f} s (n={len(times)}); {machine_load()}"
        )


if __name__ == "__main__":
    main()
