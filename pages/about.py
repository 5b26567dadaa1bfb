"""About: what PHM Navigator is, where its data comes from, the licence attribution and what is synthetic."""

import streamlit as st

from ui import data, layout
from ui.footprint import select_footprint

select_footprint()
st.title("About PHM Navigator")
st.markdown(
    """
PHM Navigator is an open-source tool for population health management (PHM) in the NHS in England. It profiles
the population of any integrated care board (ICB), place or neighbourhood from published open data, and
helps an integrated care system assess its PHM maturity.
"""
)

st.subheader("Where the figures come from")
st.markdown(
    """
| What | Source | Period |
|---|---|---|
| Deprivation: Index of Multiple Deprivation and its 7 domains, per LSOA | MHCLG, English Indices of Deprivation 2025 | published October 2025 |
| Residents by age band, per LSOA | ONS, Census 2021 usual residents | March 2021 |
| Rural-urban classification | ONS, 2021 Rural-Urban Classification | 2021 |
| Air-quality indicator (ratio of modelled concentrations to limit values) | MHCLG, Indices of Deprivation 2019 (DEFRA modelled 2016 concentrations), mapped to LSOA 2021 | 2016 |
| Boundaries: LSOA, MSOA, local authority; sub-ICB and ICB dissolved from LSOAs | ONS Open Geography Portal (generalised) | 2021 / 2024 |
| Geography lookups: LSOA to sub-ICB, ICB and local authority | ONS | April 2024 |
| GP practices: PCN, sub-ICB, ICB; location; registered list | NHS England QOF 2023-24 reference; OS Code-Point Open; NHS Payments to General Practice 2022-23 | 2022-2025 |
| Life expectancy and health indicators by local authority | ONS Health Index for England | 2015-2021 |
| Life expectancy by GP practice | OHID Fingertips (MSOA-based) | 2010-2020 |
| Modelled disease prevalence by local authority | House of Commons Library, from QOF 2019/20 | 2019/20 |
"""
)
st.markdown(
    """
**Caveats that change what can be claimed**

- *Neighbourhoods (PCNs)* are mapped approximately: a PCN is a list of registered patients, not an area, so each
  LSOA is given the PCN of its nearest GP practice. Neighbourhood populations are residents of those LSOAs.
- *Places* are local authorities within the ICB; a local authority split between ICBs is shown as "(part)".
- *Air quality* figures are ratios of modelled concentrations to their limit values, not concentrations.
- *Boundaries* are generalised for display and are not suitable for measuring areas.
- *Population* is the 2021 Census count of usual residents, not a later mid-year estimate.
"""
)

st.subheader("What is synthetic")
st.markdown(
    """
No real person-level data is shipped with PHM Navigator. Where the app shows individual-level records (cohorts,
risk stratification, scenarios), they are **synthetic**: generated to match the published aggregates above and
labelled as synthetic wherever they appear. A real extract that an ICB loads stays on its own machine, in the
local data directory.
"""
)
st.subheader("Licence and attribution")
st.info(layout.ATTRIBUTION)
st.caption(
    "PHM Navigator's code is open source. Shipped data: "
    f"{len(data.lsoa_table()):,} LSOAs; see geodata/PROVENANCE.md in the repository for every source and derivation."
)
