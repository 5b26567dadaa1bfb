"""Benchmarks: the ICB's places against England (tartan rug and spine chart), and the ICB among its peers."""

import streamlit as st

from phm_core import geography
from phm_core.benchmarking import BENCHMARK_COLOURS, ICB_FEATURES
from phm_core.figures import plotly_config, spine_chart_figure, tartan_rug_figure
from phm_core.narrative import benchmark_narrative
from ui import data, layout, profiles
from ui.footprint import select_footprint

footprint, _ = select_footprint()
content = profiles.benchmark_content(footprint, data.footprint_signature(footprint))
rows, names = content["rows"], content["names"]
st.title("Benchmarks")
if footprint.level in ("sub_icb", "pcn", "neighbourhood"):
    st.caption(
        "These indicators are published for places (local authorities), so they are shown for the places that "
        f"make up {geography.footprint_name(data.lsoa_for(footprint), footprint)}, not for the area itself."
    )

place = st.selectbox("Place", list(names), format_func=names.__getitem__, key="benchmark_place")
place_rows = rows.loc[rows["ltla24_code"] == place]
st.markdown(" ".join(benchmark_narrative(place_rows, place=names[place])))

overview, spine, peers_tab = st.tabs(["Overview (all places)", f"Spine chart: {names[place]}", "Peer ICBs"])
with overview:
    st.plotly_chart(
        tartan_rug_figure(content["rug"], title="Places against England"),
        config=plotly_config(f"benchmarks_{footprint.icb_code}"),
        key="tartan_rug",
    )
    legend = " ".join(
        f'<span style="background:{BENCHMARK_COLOURS[k]};padding:1px 6px;margin-right:4px;border:1px solid #768692;">{k}</span>'
        for k in ("best", "better", "similar", "worse", "worst", "highest", "higher", "lower", "lowest")
    )
    st.markdown(legend, unsafe_allow_html=True)
    st.caption(
        "Modelled QOF prevalence (2019/20) is compared with England using Wilson 95% and 99.8% confidence limits: "
        "higher / lower when significantly different at 95%, highest / lowest at 99.8% (prevalence has no 'better'). "
        "IMD 2025 scores and ONS Health Index values have no published confidence limits, so they are not tested: "
        "the colour shows the place's fifth among England's 296 local authorities (best fifth to worst fifth). "
        "▲ / ▼: a significant rise or fall over the last five years of the Health Index series (least-squares trend, "
        "5% level)."
    )
    table = rows[["area", "indicator", "value_text", "england_text", "benchmark", "trend", "source"]]
    st.download_button(
        "Download the benchmark table (CSV)",
        table.to_csv(index=False).encode(),
        file_name=f"phm_navigator_{footprint.icb_code}_benchmarks.csv",
        mime="text/csv",
        key="benchmark_csv",
    )
with spine:
    ranked = place_rows.loc[place_rows["kind"] == "ranked"]
    st.plotly_chart(
        spine_chart_figure(ranked, title=f"{names[place]} against England's local authorities"),
        config=plotly_config(f"spine_{place}"),
        key="spine_chart",
    )
    st.dataframe(
        place_rows[["indicator", "value_text", "england_text", "benchmark", "trend", "source"]],
        hide_index=True,
        width="stretch",
        column_config={
            "indicator": "Indicator",
            "value_text": names[place],
            "england_text": "England",
            "benchmark": "Compared with England",
            "trend": "Trend (last 5 years)",
            "source": "Source",
        },
    )
with peers_tab:
    group = content["group"]
    st.markdown(
        f"The five ICBs most like **{content['icb_name']}** on deprivation, age structure and rurality "
        f"(nearest neighbours on standardised values), among the {len(content['features'])} "
        f"{data.geography_version(footprint.geography).label}:"
    )
    st.dataframe(
        group[["name", "people", *ICB_FEATURES, "most_deprived_fifth", "aq_indicator"]],
        hide_index=True,
        width="stretch",
        column_config={
            "name": "ICB",
            "people": st.column_config.NumberColumn("Residents", format="localized"),
            "imd_score": st.column_config.NumberColumn("Average IMD score", format="%.1f"),
            "share_65_plus": st.column_config.NumberColumn("Aged 65+", format="percent"),
            "share_0_15": st.column_config.NumberColumn("Aged 0-15", format="percent"),
            "share_rural": st.column_config.NumberColumn("Rural", format="percent"),
            "most_deprived_fifth": st.column_config.NumberColumn("In most deprived fifth", format="percent"),
            "aq_indicator": st.column_config.NumberColumn("Air-quality indicator", format="%.2f"),
        },
    )
    labels = {
        "imd_score": "average deprivation",
        "most_deprived_fifth": "share in England's most deprived fifth",
        "share_65_plus": "share aged 65+",
        "aq_indicator": "air-quality indicator",
    }
    st.markdown(
        "\n".join(
            f"- On {labels[k]}, {content['icb_name']} ranks **{peer} of {len(group)}** among its peers and "
            f"**{overall} of {len(content['features'])}** {data.geography_version(footprint.geography).label} "
            "(1 = highest)."
            for k, (peer, overall) in content["ranks"].items()
        )
    )
layout.footer()
