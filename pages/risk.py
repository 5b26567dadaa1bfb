"""Risk stratification: the model card of the emergency admission risk models and the risk pyramid (SYNTHETIC)."""

import streamlit as st

from phm_core import risk, segmentation
from phm_core.synth.schema import INDEX_DATE
from ui import data, layout, synthetic
from ui import risk as risk_ui
from ui.footprint import select_footprint

footprint, _ = select_footprint()
footprint = synthetic.person_level_footprint(footprint)
layout.data_warnings(data.data_warnings())
st.title("Risk stratification (SYNTHETIC)")
synthetic.synthetic_badge()
synthetic.segmented_population(footprint.icb_code)  # generates with progress on first use, then reused
models = risk_ui.risk_models(footprint.icb_code)  # trains with progress on first use, then reused
card = models.card
chosen = models.chosen

with st.sidebar:
    st.markdown("**Synthetic population**")
    include_opted_out = st.toggle(
        "Include people who opted out",
        value=False,
        key="risk_include_opted_out",
        help="People with a national data opt-out are excluded by default, as they would be from a real extract.",
    )

st.markdown(
    f"Who is most likely to have **{risk.OUTCOME_LABEL}** after {INDEX_DATE:%-d %B %Y}, predicted from their record "
    "on that date and their activity in the 12 months before (a temporal design: nothing from the year predicted "
    f"is used). Three models are compared on {models.people['held_out']:,} people held out from fitting; the "
    f"one used for the tiers is **{risk.MODEL_LABELS[chosen].lower()}** (best average precision)."
)
scores = card["discrimination"].set_index("model")
top = card["top_shares"][chosen].set_index("share")
best, baseline = scores.loc[chosen], scores.loc["baseline"]
columns = st.columns(4)
columns[0].metric(
    "AUROC",
    f"{best['auroc']:.3f}",
    f"{best['auroc'] - baseline['auroc']:+.3f} on the baseline",
    help=f"95% interval {best['auroc_low']:.3f} to {best['auroc_high']:.3f} (Hanley-McNeil).",
)
columns[1].metric(
    "Average precision",
    f"{best['average_precision']:.3f}",
    f"{best['average_precision'] - baseline['average_precision']:+.3f} on the baseline",
)
columns[2].metric("PPV, top 5%", f"{top.loc[0.05, 'ppv']:.0%}", help="Share of the flagged top 5% who were admitted.")
columns[3].metric(
    "Sensitivity, top 5%", f"{top.loc[0.05, 'sensitivity']:.0%}", help="Share of all admitted people in the top 5%."
)

st.subheader("Risk pyramid")
content = risk_ui.pyramid_content(
    footprint, include_opted_out, synthetic.DEFAULT_SEED, synthetic.sample_fraction(), risk_ui.MODEL_VERSION
)
sample = "" if synthetic.sample_fraction() >= 1 else f" (a {synthetic.sample_fraction():.0%} sample)"
st.caption(
    f"{content['name']}: {content['people']:,} synthetic people alive on {INDEX_DATE:%-d %B %Y}{sample}, ranked by "
    f"the model's risk across the ICB. High risk starts at {content['thresholds']['high']:.0%}, rising risk at "
    f"{content['thresholds']['rising']:.0%}. "
    + ("Opted-out people included." if include_opted_out else "People who opted out are excluded.")
    + f" Generated for the ICB's LSOAs ({data.geography_version(footprint.geography).label})."
)
summary = content["summary"]
pyramid_column, text_column = st.columns([3, 2])
with pyramid_column:
    st.plotly_chart(segmentation.risk_pyramid_figure(summary), key="risk_pyramid")
with text_column:
    st.markdown(risk_ui.pyramid_headline(summary, content))
tier_columns = {
    "label": "Risk tier",
    "people": st.column_config.NumberColumn("People", format="localized"),
    "share_of_cost": st.column_config.NumberColumn("Share of last year's cost", format="percent"),
    "emergency_admissions_per_1000": st.column_config.NumberColumn("Admissions /1,000", format="%.0f"),
    "bed_days_per_1000": st.column_config.NumberColumn("Bed days /1,000", format="%.0f"),
    "ae_attendances_per_1000": st.column_config.NumberColumn("A&E /1,000", format="%.0f"),
    "emergency_admissions_next_year": st.column_config.NumberColumn("Admissions next year", format="localized"),
    "share_of_next_year_admissions": st.column_config.NumberColumn("Share of next year's", format="percent"),
}
st.dataframe(summary[list(tier_columns)], hide_index=True, width="stretch", column_config=tier_columns)
st.caption(
    "Activity per 1,000 people in the 12 months before the index date; emergency admissions next year are in the "
    "12 months after. Blank = suppressed. SYNTHETIC data."
)

st.subheader("Model card")
tabs = st.tabs(["Discrimination", "Calibration", "Top 0.5%, 5% and 20%", "Equity", "About the model"])
with tabs[0]:
    shown = card["discrimination"][["label", "auroc", "auroc_low", "auroc_high", "average_precision", "brier"]]
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "label": "Model",
            "auroc": st.column_config.NumberColumn("AUROC", format="%.3f"),
            "auroc_low": st.column_config.NumberColumn("95% CI low", format="%.3f"),
            "auroc_high": st.column_config.NumberColumn("95% CI high", format="%.3f"),
            "average_precision": st.column_config.NumberColumn("Average precision", format="%.3f"),
            "brier": st.column_config.NumberColumn("Brier score", format="%.4f"),
        },
    )
    st.caption(
        f"On {models.people['held_out']:,} held-out people, of whom {models.people['admitted_held_out']:,} "
        f"({best['outcome_rate']:.1%}) had an emergency admission in the next 12 months: the average precision of "
        "a model that guessed would be that share. SYNTHETIC data."
    )
with tabs[1]:
    st.plotly_chart(risk.calibration_figure(card), key="risk_calibration")
    risk_ui.show_calibration_summary(card)
    st.caption(
        "Each point is a tenth of the held-out people ordered by predicted risk. Calibration-in-the-large is the "
        "mean predicted minus the observed rate; the mean absolute error weighs each tenth's gap by its people."
    )
with tabs[2]:
    st.plotly_chart(risk.top_share_figure(card), key="risk_top_shares")
    risk_ui.show_top_shares(card)
    st.caption("Flagging the top share of people by predicted risk. Blank = suppressed (1 to 7).")
with tabs[3]:
    left, right = st.columns(2)
    dimension = left.selectbox(
        "Compare by",
        list(risk.EQUITY_DIMENSIONS),
        format_func=risk.EQUITY_DIMENSIONS.__getitem__,
        key="risk_equity_dimension",
    )
    share = right.selectbox(
        "Flag the top",
        list(risk.TOP_SHARES),
        index=1,
        format_func=lambda s: f"{s:.1%}".replace(".0%", "%"),
        key="risk_equity_share",
    )
    table = card["equity"][dimension][f"{share:g}"]
    label = risk.EQUITY_DIMENSIONS[dimension]
    st.plotly_chart(risk.equity_figure(table, dimension_label=label, share=share), key="risk_equity")
    risk_ui.show_equity_table(table)
    st.caption(
        f"One threshold for everyone (the risk of the top {share:.1%} of all held-out people), so groups with more "
        "need have more people flagged. Lower sensitivity in a group means its admissions are harder to foresee "
        "from the record. Blank = suppressed. SYNTHETIC data.".replace(".0%", "%")
    )
with tabs[4]:
    st.markdown(risk.model_card_text(models))
layout.footer()
