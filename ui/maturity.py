"""Streamlit helpers of the maturity self-assessment pages: the shared engine, URL state, links and results.

The database is the source of truth (see :mod:`ui.maturity_answers` for the questionnaire's widgets). Per-user
state (which assessment, the resume token) lives in the URL and ``st.session_state``, never in ``st.cache_data``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.errors import StreamlitPageNotFoundError

from maturity import exports, figures, repository
from maturity.db import make_engine
from maturity.framework import Framework
from maturity.models import AssessmentPublic, AssessmentStatus, OrganisationPublic
from maturity.next_steps import NextStep
from maturity.scoring import AssessmentResult
from phm_core.geography import Footprint, area_options, footprint_name
from phm_core.settings import database_url
from ui.footprint import select_footprint

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
ASSESSMENTS_PAGE = "pages/maturity_assessments.py"
QUESTIONNAIRE_PAGE = "pages/maturity_questionnaire.py"
RESULTS_PAGE = "pages/maturity_results.py"

#: App pages that a next step's page key may open, first existing file wins (url_path = file stem).
PAGE_KEY_CANDIDATES: dict[str, tuple[str, ...]] = {
    "population": ("population", "home"),
    "segmentation": ("segmentation", "population_segments"),
    "risk": ("risk", "risk_stratification"),
    "cohorts": ("cohorts", "cohort_builder"),
    "inequalities": ("inequalities",),
    "scenarios": ("scenarios", "scenario_modelling"),
    "maturity": ("maturity_assessments",),
}
ORGANISATION_KINDS = {"icb": "ICB", "ics": "ICS", "place": "Place", "pcn": "PCN (neighbourhood)"}
FOOTPRINT_KIND = {"icb": "icb", "place": "place", "sub_icb": "place", "pcn": "pcn", "neighbourhood": "pcn"}

ASSESSMENT_STATE = "maturity_assessment_id"
TOKENS_STATE = "maturity_resume_tokens"


# --- database --------------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner="Opening the assessment database ...")
def _engine(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    """The one engine of this process (shared by every user), migrated to the newest revision on first use."""
    return _engine(database_url())


@contextmanager
def session() -> Iterator[Session]:
    """One session for one unit of work."""
    with Session(engine()) as s:
        yield s


# --- URL, state and links --------------------------------------------------------------------------------------


def start_page(*keep: str) -> tuple[Footprint, pd.DataFrame, dict[str, str]]:
    """Draw the footprint picker, as every page does first, keeping this page's own query parameters in the URL.

    The picker rewrites the query string with the footprint, so the parameters named in ``keep`` (e.g.
    ``assessment``, ``respondent``) are read before and put back after it. Returns footprint, LSOA table and
    the kept parameters.
    """
    kept = {name: st.query_params[name] for name in keep if st.query_params.get(name)}
    footprint, lsoa = select_footprint()
    for name, value in kept.items():
        st.query_params[name] = value
    return footprint, lsoa, kept


def set_query(**values: str | int | None) -> None:
    """Set (or with None remove) query parameters of the current URL."""
    for name, value in values.items():
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        else:
            st.query_params[name] = str(value)


HOME_PAGE = "pages/home.py"  # app.py's default page, which Streamlit serves at the app's root


def page_path(page_file: str) -> str:
    """The URL path of a page: its file stem (app.py registers every page that way), "/" for the Home page.

    Streamlit serves the default page at the root; its own path ("/home") shows "Page not found" before redirecting.
    """
    if Path(page_file).as_posix() == HOME_PAGE:
        return "/"
    return "/" + Path(page_file).stem


def base_url() -> str:
    """The app's address as the browser sees it, without the page (empty when unknown, e.g. in tests)."""
    url = st.context.url
    if not url:
        return ""
    url = url.rstrip("/")
    head, _, last = url.rpartition("/")
    stems = {p.stem for p in (ROOT / "pages").glob("*.py")}
    return head if last in stems and "//" in head else url


def page_url(page_file: str, **params: str | int) -> str:
    """A full link to a page with query parameters (relative when the app's address is unknown)."""
    query = f"?{urlencode(params)}" if params else ""
    return f"{base_url()}{page_path(page_file)}{query}"


def link_to(
    page_file: str,
    label: str,
    *,
    icon: str | None = None,
    query_params: Mapping[str, str | int] | None = None,
    fallback: str = "link",
) -> None:
    """``st.page_link`` to a page of the app.

    When the page is not in the navigation (a page run on its own, or a page file not registered yet) the link
    becomes a plain Markdown link to the page's URL path (``fallback="link"``) or plain text (``"text"``).
    """
    params = {k: str(v) for k, v in (query_params or {}).items()}
    try:
        st.page_link(page_file, label=label, icon=icon, query_params=params or None)
    except StreamlitPageNotFoundError:
        if fallback == "text":
            st.markdown(label)
        else:
            query = f"?{urlencode(params)}" if params else ""
            st.markdown(f"[{label}]({page_path(page_file)}{query})")


def page_for_key(key: str | None) -> str | None:
    """The page file an action's page key opens, or None when the app has no such page yet."""
    for stem in PAGE_KEY_CANDIDATES.get(key or "", ()):
        if (ROOT / "pages" / f"{stem}.py").exists():
            return f"pages/{stem}.py"
    return None


def report_page_links() -> dict[str, str]:
    """Full links from page keys to the app's pages, for the downloaded report (empty when the address is unknown)."""
    base = base_url()
    if not base:
        return {}
    links = {}
    for key in PAGE_KEY_CANDIDATES:
        page = page_for_key(key)
        if page is not None:
            links[key] = base + page_path(page)
    return links


def remembered_token(assessment_id: int) -> str | None:
    """The resume token this browser session used for an assessment."""
    return st.session_state.get(TOKENS_STATE, {}).get(assessment_id)


def remember_token(assessment_id: int, token: str | None) -> None:
    """Remember (or with None forget) this browser session's resume token for an assessment."""
    tokens = dict(st.session_state.get(TOKENS_STATE, {}))
    if token is None:
        tokens.pop(assessment_id, None)
    else:
        tokens[assessment_id] = token
    st.session_state[TOKENS_STATE] = tokens


FLASH_STATE = "maturity_flash"


def flash(message: str) -> None:
    """Keep a message to show after the next rerun (e.g. "Added ..." after a form is submitted)."""
    st.session_state[FLASH_STATE] = message


def show_flash() -> None:
    """Show, once, the message kept by :func:`flash`."""
    message = st.session_state.pop(FLASH_STATE, None)
    if message:
        st.success(message, icon=":material/check_circle:")


#: Characters escaped anywhere in user text: emphasis, code, links and images, HTML, headings, tables, formulas and
#: Streamlit's colour directives.
MARKDOWN_SPECIAL = "\\`*_[]<>#|~$"
#: Escaped at the start of a line only: list items (``-``, ``+``, ``1.``, ``1)``) and setext headings (``===``).
_LINE_START_MARKER = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)
#: Autolinks (``http://``, ``www.``, ``mail@host``) are found in the text after escapes are read, so a backslash
#: cannot stop them: an invisible word joiner breaks the pattern instead.
_AUTOLINK = re.compile(r"(:)(//)|\b(www)(\.)|(@)(\w)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def escape_markdown(text: str) -> str:
    """User text shown literally in Markdown: no heading, list, link, image, HTML, formula or autolink."""
    text = "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in text)
    text = _LINE_START_MARKER.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)
    return _AUTOLINK.sub(lambda m: WORD_JOINER.join(g for g in m.groups() if g), text)


def problems_markdown(message: str) -> str:
    """A multi-line error message (headline, then one problem per line) as Markdown: headline and bullets."""
    headline, *problems = [line.strip() for line in message.splitlines() if line.strip()]
    return escape_markdown(headline) + "".join(f"\n- {escape_markdown(p)}" for p in problems)


# --- organisations and assessments -----------------------------------------------------------------------------


def suggest_organisation(name: str, kind: str) -> None:
    """Fill the new-organisation form from the footprint, again whenever the footprint changes."""
    if st.session_state.get("ma_org_suggested") != (name, kind) or "ma_org_name" not in st.session_state:
        st.session_state["ma_org_suggested"] = (name, kind)
        st.session_state["ma_org_name"] = name
        st.session_state["ma_org_kind"] = kind


def organisation_suggestion(footprint: Footprint, lsoa: pd.DataFrame) -> tuple[str, str, str]:
    """A name and kind for a new organisation from the chosen footprint, and the name of its ICB.

    The whole ICB suggests the ICB ('NHS Suffolk and North East Essex', kind ``icb``); a place or sub-ICB
    location suggests a place, a neighbourhood a PCN.
    """
    icb_name = footprint_name(lsoa, footprint.system)
    if footprint.level in ("icb", "region") or not footprint.area_code:
        return icb_name, "icb", icb_name
    areas = area_options(lsoa, icb_code=footprint.icb_code, level=footprint.level)
    match = areas.loc[areas["code"] == footprint.area_code, "name"]
    name = str(match.iloc[0]) if len(match) else footprint.area_code
    return name, FOOTPRINT_KIND[footprint.level], icb_name


def footprint_area(footprint: Footprint) -> tuple[str, str]:
    """The ONS code and level an organisation suggested from this footprint stands for (a region's is its ICB)."""
    if footprint.level in ("icb", "region") or not footprint.area_code:
        return footprint.icb_code, "icb"
    return footprint.area_code, footprint.level


def footprint_organisations(s: Session, footprint: Footprint, lsoa: pd.DataFrame) -> list[OrganisationPublic]:
    """The footprint's own organisations, whose assessments are the footprint's (never another organisation's).

    Those standing for the footprint's area (:func:`footprint_area`) on any geography version, and those saved
    before organisations recorded an area, with exactly the name and kind suggested from the footprint (e.g.
    'NHS Norfolk and Suffolk', ICB).
    """
    name, kind, _ = organisation_suggestion(footprint, lsoa)
    area_code, _ = footprint_area(footprint)
    return repository.organisations_for_area(s, area_code=area_code, name=name, kind=kind)


def own_organisation(s: Session, footprint: Footprint, lsoa: pd.DataFrame) -> OrganisationPublic | None:
    """The footprint's own organisation to offer first: one recorded for its area on its geography version, else
    on another version, else one saved before areas were recorded (see :func:`footprint_organisations`)."""
    own = footprint_organisations(s, footprint, lsoa)
    ranked = sorted(own, key=lambda o: (o.area_code is None, o.geography_version != footprint.geography))
    return ranked[0] if ranked else None


NEW_ORGANISATION_STATE = "ma_new_org_id"


def seed_assessment_organisation(options: Sequence[int], default: int, *, key: str, footprint: Footprint) -> None:
    """Choose the organisation a new assessment is opened for, before its select box is drawn.

    The organisation just added (``st.session_state[NEW_ORGANISATION_STATE]``, set by the add form) is chosen once;
    otherwise ``default`` (the footprint's own) whenever there is no valid choice or the footprint has changed;
    otherwise the user's choice stays. A keyed select box keeps its state and ignores ``index``, so this is the
    one place its value is set.
    """
    added = st.session_state.pop(NEW_ORGANISATION_STATE, None)
    if added in options:
        st.session_state[key] = added
    elif st.session_state.get(key) not in options or st.session_state.get(f"{key}_for") != footprint:
        st.session_state[key] = default
    st.session_state[f"{key}_for"] = footprint


def organisation_label(organisation: OrganisationPublic) -> str:
    """'NHS Suffolk and North East Essex (ICB)'."""
    return f"{organisation.name} ({ORGANISATION_KINDS.get(str(organisation.kind), str(organisation.kind))})"


def assessment_label(assessment: AssessmentPublic, organisations: Mapping[int, OrganisationPublic]) -> str:
    """'Ipswich: Spring round (12 Mar 2025)', with '- closed' for a closed assessment."""
    organisation = organisations.get(assessment.organisation_id)
    name = organisation.name if organisation else f"Organisation {assessment.organisation_id}"
    closed = " - closed" if assessment.status == AssessmentStatus.CLOSED else ""
    return f"{name}: {assessment.title} ({assessment.assessment_date:%d %b %Y}){closed}"


def assessments_overview(s: Session) -> list[dict]:
    """Every assessment, newest first, with its organisation and how many respondents have joined."""
    organisations = {o.id: o for o in repository.list_organisations(s)}
    rows = []
    for assessment in reversed(repository.list_assessments(s)):
        respondents = repository.list_respondents(s, assessment.id)
        rows.append(
            {
                "assessment": assessment,
                "organisation": organisations.get(assessment.organisation_id),
                "respondents": len(respondents),
            }
        )
    return rows


def _on_assessment_change(key: str, *, drop: Sequence[str]) -> None:
    chosen = st.session_state[key]
    st.session_state[ASSESSMENT_STATE] = chosen
    set_query(assessment=chosen, **dict.fromkeys(drop))


def choose_assessment(
    s: Session, requested: str | None, *, key: str, prefer_open: bool = False, drop: Sequence[str] = ()
) -> AssessmentPublic | None:
    """A select box of every assessment but the archived; the URL's ``assessment`` (or this session's last one) first.

    Without a valid choice the newest assessment (the newest open one with ``prefer_open``) is chosen. Choosing
    another writes it to the URL and removes the parameters in ``drop``. None when there are no assessments.
    """
    assessments = repository.list_assessments(s)
    if not assessments:
        return None
    organisations = {o.id: o for o in repository.list_organisations(s)}
    by_id = {a.id: a for a in assessments}
    wanted = _as_int(requested)
    if wanted is not None and wanted not in by_id:
        try:
            archived = repository.get_assessment(s, wanted)
        except LookupError:
            st.warning(f"There is no assessment number {wanted} (it may have been deleted). Choose one below.")
        else:
            st.warning(
                f"'{escape_markdown(archived.title)}' is archived: restore it on the Assessments page (Manage an "
                "assessment) to see it again. Choose another one below."
            )
        wanted = None
    if wanted is None:
        wanted = st.session_state.get(ASSESSMENT_STATE)
    if wanted not in by_id:
        candidates = [a for a in assessments if a.status == AssessmentStatus.OPEN] if prefer_open else []
        wanted = (candidates or assessments)[-1].id
    st.session_state[key] = wanted
    st.session_state[ASSESSMENT_STATE] = wanted
    options = [a.id for a in reversed(assessments)]
    st.selectbox(
        "Assessment",
        options,
        format_func=lambda i: assessment_label(by_id[i], organisations),
        key=key,
        on_change=_on_assessment_change,
        args=(key,),
        kwargs={"drop": tuple(drop)},
    )
    set_query(assessment=wanted)
    return by_id[wanted]


def _as_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# --- results ---------------------------------------------------------------------------------------------------


def previous_assessment(s: Session, assessment: AssessmentPublic) -> AssessmentPublic | None:
    """The organisation's assessment before this one (by date, then the order they were opened), if any."""
    rounds = repository.list_assessments(s, organisation_id=assessment.organisation_id)
    ids = [a.id for a in rounds]
    index = ids.index(assessment.id)
    return rounds[index - 1] if index > 0 else None


def comparison_choices(s: Session, organisation: OrganisationPublic) -> tuple[list[OrganisationPublic], list[int]]:
    """Organisations with at least one assessment, and the ones to compare by default.

    By default: this organisation, its parent, the other organisations under the same parent and its own children
    (e.g. the places of one ICB).
    """
    assessed = {a.organisation_id for a in repository.list_assessments(s)}
    choices = [o for o in repository.list_organisations(s) if o.id in assessed]
    related = [
        o.id
        for o in choices
        if o.id == organisation.id
        or o.id == organisation.parent_id
        or o.parent_id == organisation.id
        or (organisation.parent_id is not None and o.parent_id == organisation.parent_id)
    ]
    return choices, related


def seed_comparison(related: Sequence[int], *, key: str, organisation_id: int) -> None:
    """Preselect the related organisations in the comparison, again whenever another organisation is shown."""
    if key not in st.session_state or st.session_state.get(f"{key}_for") != organisation_id:
        st.session_state[key] = list(related)
        st.session_state[f"{key}_for"] = organisation_id


def _score(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def score_text(value: float | None, label: str | None) -> str:
    """'2.5 (Developing)' or 'not rated'."""
    return "not rated" if value is None else f"{_score(value)} ({label})"


def score_metric(
    label: str, current: float | None, current_label: str | None, target: float | None, target_label: str | None
) -> None:
    """A metric: the stage reached, with the score and the target beneath."""
    if current is None:
        st.metric(label, "Not rated", border=True)
        return
    target_text = f"target {_score(target)} ({target_label})" if target is not None else "no target yet"
    st.metric(
        label,
        current_label or "",
        f"{_score(current)} of 4 - {target_text}",
        delta_color="off",
        delta_arrow="off",
        border=True,
    )


def next_steps_section(groups: Mapping[str, Sequence[NextStep]], framework: Framework) -> None:
    """Suggested actions grouped infrastructure / intelligence / interventions, with links into the app."""
    for group, steps in groups.items():
        st.markdown(f"#### {group.capitalize()}")
        if not steps:
            st.caption("No gaps with suggested actions in this group.")
            continue
        by_component: dict[str, list[NextStep]] = {}
        for step in steps:
            by_component.setdefault(step.component_id, []).append(step)
        for component_steps in by_component.values():
            first = component_steps[0]
            now = framework.stage(first.current_stage).label
            if first.target_stage and first.target_stage != first.current_stage:
                move = f"{now} to {framework.stage(first.target_stage).label}"
            else:
                move = f"{now}, target further within it"
            st.markdown(
                f"**{first.component_label}**: {move} (gap {first.gap:g})\n"
                + "\n".join(f"- {step.text}" for step in component_steps)
            )
            later = []
            for key in dict.fromkeys(step.page for step in component_steps if step.page):
                title = exports.PAGE_TITLES.get(key, key)
                page = page_for_key(key)
                if page is None:
                    later.append(title)
                else:
                    link_to(page, f"{title} in PHM Navigator", icon=":material/arrow_outward:", fallback="text")
            if later:
                st.caption(f"Coming to PHM Navigator: {', '.join(later)}.")


def _responses_csv(assessment_id: int) -> bytes:
    with session() as s:
        return exports.responses_csv(s, assessment_id)


def _responses_xlsx(assessment_id: int) -> bytes:
    with session() as s:
        return exports.responses_xlsx(s, assessment_id)


def _assessment_json(assessment_id: int) -> str:
    with session() as s:
        return exports.export_assessment_json(s, assessment_id)


def report_html(assessment_id: int, page_links: Mapping[str, str]) -> str:
    """The printable HTML report with the charts, the grid, gaps, disagreement and next steps."""
    with session() as s:
        result = repository.assessment_results(s, assessment_id)
        return exports.assessment_report_html(
            s, assessment_id, page_links=page_links, charts_html=figures.report_charts_html(result)
        )


def export_buttons(assessment: AssessmentPublic) -> None:
    """Download buttons: responses as CSV and Excel, the whole assessment as JSON, the printable report.

    Files are made when the button is pressed (from the database at that moment), not on every rerun.
    """
    stem = f"maturity-{assessment.assessment_date.isoformat()}-{assessment.id}"
    links = report_page_links()
    columns = st.columns(4)
    buttons = [
        ("Report (HTML, printable)", partial(report_html, assessment.id, links), "html", "text/html", "report"),
        ("Responses (CSV)", partial(_responses_csv, assessment.id), "csv", "text/csv", "csv"),
        (
            "Responses and results (Excel)",
            partial(_responses_xlsx, assessment.id),
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        ("Whole assessment (JSON)", partial(_assessment_json, assessment.id), "json", "application/json", "json"),
    ]
    for column, (label, data, extension, mime, key) in zip(columns, buttons, strict=True):
        column.download_button(
            label,
            data=data,
            file_name=f"{stem}.{extension}",
            mime=mime,
            key=f"mr_download_{key}",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
        )


def small_numbers_note(result: AssessmentResult) -> None:
    """Say that results from fewer than three respondents are indicative only."""
    n = result.n_respondents
    if not any(r.n for r in result.components):
        st.info("Nobody has rated a component yet: the scores, matrix and gaps appear with the first answers.")
    elif n < 3:
        st.warning(
            f"Only {n} respondent{'s' if n != 1 else ''} so far: these results are indicative. Agreement needs at "
            "least two ratings per component, and a fair picture of a system usually needs several people from "
            "different partners."
        )


def table_height(frame: pd.DataFrame, *, most: int = 640) -> int:
    """A data frame height that shows every row (up to ``most`` pixels)."""
    return min(35 * (len(frame) + 1) + 3, most)
