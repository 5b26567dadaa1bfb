"""PHM Navigator: the router. Page config, navigation and nothing else.

Each page's url_path is its file name, so a link to a page works even on a fresh server (see
ui.layout.ensure_router).
"""

import streamlit as st

from ui.access import login_gate

st.set_page_config(page_title="PHM Navigator", page_icon="assets/icon.svg", layout="wide")
st.logo("assets/logo.svg", size="large", icon_image="assets/icon.svg")

navigation = st.navigation(
    {
        "Population": [
            st.Page("pages/home.py", title="Home", icon=":material/home:", default=True, url_path="home"),
            st.Page("pages/maps.py", title="Map", icon=":material/map:", url_path="maps"),
            st.Page(
                "pages/neighbourhoods.py", title="Neighbourhoods", icon=":material/hub:", url_path="neighbourhoods"
            ),
            st.Page(
                "pages/deprivation_air.py",
                title="Deprivation and air",
                icon=":material/air:",
                url_path="deprivation_air",
            ),
            st.Page("pages/inequalities.py", title="Inequalities", icon=":material/balance:", url_path="inequalities"),
            st.Page("pages/benchmarks.py", title="Benchmarks", icon=":material/leaderboard:", url_path="benchmarks"),
            st.Page(
                "pages/population_segments.py",
                title="Population segments",
                icon=":material/groups:",
                url_path="population_segments",
            ),
            st.Page(
                "pages/presentation.py", title="Presentation mode", icon=":material/slideshow:", url_path="presentation"
            ),
        ],
        "Cohorts and risk": [
            st.Page("pages/risk.py", title="Risk stratification", icon=":material/monitor_heart:", url_path="risk"),
            st.Page("pages/cohorts.py", title="Cohort builder", icon=":material/filter_alt:", url_path="cohorts"),
            st.Page("pages/scenarios.py", title="Scenarios", icon=":material/query_stats:", url_path="scenarios"),
            st.Page("pages/evaluation.py", title="Evaluation", icon=":material/fact_check:", url_path="evaluation"),
        ],
        "Maturity": [
            st.Page(
                "pages/maturity_assessments.py",
                title="Assessments",
                icon=":material/checklist:",
                url_path="maturity_assessments",
            ),
            st.Page(
                "pages/maturity_questionnaire.py",
                title="Questionnaire",
                icon=":material/edit_note:",
                url_path="maturity_questionnaire",
            ),
            st.Page(
                "pages/maturity_results.py", title="Results", icon=":material/bar_chart:", url_path="maturity_results"
            ),
            st.Page(
                "pages/workshop_facilitator.py",
                title="Live workshop",
                icon=":material/co_present:",
                url_path="workshop_facilitator",
            ),
            st.Page(
                "pages/workshop_join.py", title="Join a workshop", icon=":material/login:", url_path="workshop_join"
            ),
        ],
        "Reference": [
            st.Page("pages/data_sources.py", title="Data sources", icon=":material/database:", url_path="data_sources"),
            st.Page("pages/about.py", title="About", icon=":material/info:", url_path="about"),
        ],
    },
    expanded=True,  # every page listed: boards should not have to find "View more"
)
login_gate(navigation.url_path)  # only when login is configured; roles are checked again before each action
navigation.run()
