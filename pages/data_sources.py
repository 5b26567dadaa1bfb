"""Data sources: the shipped tables, and replacing one with your own file (validated before it is used)."""

import streamlit as st

from phm_core import loaders, replacements
from phm_core.settings import data_dir
from ui import access, data, layout, replacement_upload
from ui.footprint import select_footprint
from ui.geography_files import official_lookup_panel

select_footprint()
st.title("Data sources")
st.markdown(
    "PHM Navigator ships real open data for every LSOA in England. You can replace a table with a newer or "
    "local file: it is checked first, and a file with problems is rejected with the reasons, leaving the data "
    "in use unchanged. Replacements are kept on this machine only, in the local data directory."
)
st.caption(
    "A replacement changes the maps, profiles, benchmarks and presentation. The SYNTHETIC population behind the "
    "Cohorts and risk pages is built from the shipped national data (Census 2021 ages, IMD 2025), so it does not "
    "change with a replacement."
)

stored = replacements.list_replacements(data_dir())
st.subheader("In use")
if not stored:
    st.success("The shipped data is in use for every table.")
for item in stored:
    left, right = st.columns([4, 1])
    left.markdown(
        f"**{replacements.REPLACEABLE[item.kind]}**: your file *{item.original_name}* "
        f"({item.rows:,} rows, saved {item.saved_at})"
    )
    if right.button("Use shipped data", key=f"revert_{item.kind}") and access.require(
        access.Permission.WRITE, action="change the data in use"
    ):
        replacements.remove_replacement(item.kind, data_dir=data_dir())
        st.rerun()
layout.data_warnings(data.data_warnings())

st.subheader("Replace a table")
kind = st.selectbox(
    "Table to replace", list(replacements.REPLACEABLE), format_func=replacements.REPLACEABLE.__getitem__, key="kind"
)
is_geojson = kind.startswith("boundaries_")
may_replace = access.require(access.Permission.WRITE, action="replace a table with your own file")
upload = (
    st.file_uploader(
        "Your file (GeoJSON)" if is_geojson else "Your file (CSV, UTF-8, one row per LSOA 2021)",
        type=["geojson", "json"] if is_geojson else ["csv"],
        key=f"upload_{kind}",
    )
    if may_replace
    else None
)
with st.expander("What the file must contain"):
    if kind == "imd":
        st.markdown(
            "A column of LSOA 2021 codes and, for the overall index and each of the 7 domains, a score, a rank "
            "and a decile. The MHCLG File 7 headings are recognised (e.g. *Index of Multiple Deprivation (IMD) "
            "Score*), as are `imd_score`, `IMD_score` and similar. Every one of England's 33,755 LSOAs must appear once."
        )
    elif kind == "population":
        low, high = loaders.LSOA_POPULATION_RANGE
        st.markdown(
            "`lsoa21_code`, `pop_total` and the six Census age bands (`pop_0_15` ... `pop_65_plus`, or the Census "
            "headings such as *Aged 15 years and under*). The bands must add up to the total for every LSOA, each "
            f"LSOA must have {low:,} to {high:,} residents, and England's total must be within "
            f"{loaders.ENGLAND_POPULATION_TOLERANCE:.0%} of the shipped Census 2021 total ({loaders.ENGLAND_POPULATION:,})."
        )
    else:
        st.markdown(
            "A GeoJSON FeatureCollection of polygons with the area code in a property such as `LSOA21CD` or "
            "`lsoa21_code`, one feature per area, every one inside England. WGS84 longitude and latitude or "
            "British National Grid coordinates (another system is converted if the file declares it). It must "
            "cover every area in use, unless you choose to replace only the areas in your file."
        )
partial = (
    may_replace
    and is_geojson
    and st.checkbox(
        replacements.PARTIAL_BOUNDARIES_LABEL,
        key=f"partial_{kind}",
        help="Without this, the file must have a boundary for every area in use, as it replaces them all.",
    )
)
if upload is not None:
    check = replacement_upload.check_upload(
        kind,
        name=upload.name,
        content=upload.getvalue(),
        lsoa=data.base_lsoa_table(),
        partial=partial,
        signature=data.replacement_signature(),
    )
    if check.frame is None:
        st.error(check.report)
    else:
        frame = check.frame
        replaced = frame.attrs.get("areas_in_file")
        kept = f": {replaced:,} area(s) from your file, the shipped boundaries for the rest" if replaced else ""
        st.success(f"{upload.name} passed every check ({len(frame):,} rows{kept}).")
        if st.button("Use this file", type="primary", key="apply_replacement") and access.require(
            access.Permission.WRITE, action="change the data in use"
        ):
            replacements.save_replacement(kind, frame, data_dir=data_dir(), original_name=upload.name)
            replacement_upload.forget_upload_check()
            st.rerun()

st.subheader("Geography versions (ICB boundaries)")
st.dataframe(
    data.geography_version_table(),
    hide_index=True,
    width="stretch",
    column_config={"ICBs": st.column_config.NumberColumn(), "LSOAs": st.column_config.NumberColumn(format="localized")},
)
for key, version in data.geography_versions().items():
    with st.expander(f"How each LSOA's ICB was decided: {version.label}"):
        st.dataframe(
            data.geography_basis_table(key),
            hide_index=True,
            width="stretch",
            column_config={"People": st.column_config.NumberColumn("People (Census 2021)", format="localized")},
        )
    if version.is_reconstruction:
        st.warning(
            f"**{version.label} is a reconstruction**, rebuilt from the published succession rules. "
            + " ".join(version.notes)
            + " Loading ONS's official file below replaces it.",
            icon=":material/info:",
        )
official_lookup_panel(
    england_lsoa_codes=frozenset(data.base_lsoa_table()["lsoa21_code"]),
    user_can_replace=access.allowed(access.Permission.WRITE),
)
layout.footer()
