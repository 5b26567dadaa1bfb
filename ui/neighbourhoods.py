"""The neighbourhood editor: an ICB's named neighbourhoods, chosen by PCN or LSOA on a list or the map, saved.

The draft being edited lives in the session (per ICB and geography version) until it is saved; saving checks it
(``phm_core.neighbourhoods.validate_neighbourhoods``) and writes the whole set in one transaction, or nothing.
"""

from __future__ import annotations

import logging
import uuid

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from cohort_store import repository
from phm_core import geography, maps, neighbourhoods
from phm_core.neighbourhoods import Neighbourhood, NeighbourhoodFileError
from ui import access, cohort_db, data
from ui.footprint import choose

LOGGER = logging.getLogger(__name__)
DRAFT_KEY = "nbh_draft"
BUILT_FROM_LABELS = {"pcn": "Primary care networks (PCNs)", "lsoa": "LSOAs (small areas)"}


def _item(neighbourhood: Neighbourhood) -> dict:
    return {
        "id": uuid.uuid4().hex[:8],
        "name": neighbourhood.name,
        "built_from": neighbourhood.built_from,
        "pcn_codes": list(neighbourhood.pcn_codes),
        "lsoa_codes": list(neighbourhood.lsoa_codes),
    }


def _seed_widgets(item: dict) -> None:
    st.session_state[f"nbh_{item['id']}_name"] = item["name"]
    st.session_state[f"nbh_{item['id']}_from"] = item["built_from"]
    st.session_state[f"nbh_{item['id']}_pcns"] = item["pcn_codes"]
    st.session_state[f"nbh_{item['id']}_lsoas"] = item["lsoa_codes"]


def start_draft(scope: tuple[str, str], definitions: list[Neighbourhood], *, origin: str) -> None:
    """Replace the draft with ``definitions`` (saved, suggested or imported); ``origin`` says which."""
    items = [_item(n) for n in definitions]
    for item in items:
        _seed_widgets(item)
    st.session_state[DRAFT_KEY] = {"scope": scope, "items": items, "origin": origin}


def draft(scope: tuple[str, str], lsoa: pd.DataFrame) -> dict:
    """The session's draft for this ICB and version, started from the saved set (or the PCN suggestion)."""
    current = st.session_state.get(DRAFT_KEY)
    if current is None or current["scope"] != scope:
        key, icb_code = scope
        saved = data.saved_neighbourhoods(key, icb_code)
        if saved:
            start_draft(scope, saved, origin="saved")
        else:
            start_draft(scope, neighbourhoods.suggest_from_pcns(lsoa, icb_code=icb_code), origin="suggested")
    return st.session_state[DRAFT_KEY]


def _read_widgets(item: dict) -> None:
    item["name"] = st.session_state.get(f"nbh_{item['id']}_name", item["name"])
    item["built_from"] = st.session_state.get(f"nbh_{item['id']}_from", item["built_from"])
    item["pcn_codes"] = list(st.session_state.get(f"nbh_{item['id']}_pcns", item["pcn_codes"]))
    item["lsoa_codes"] = list(st.session_state.get(f"nbh_{item['id']}_lsoas", item["lsoa_codes"]))


def definitions_of(items: list[dict], lsoa: pd.DataFrame, *, icb_code: str) -> list[Neighbourhood]:
    """The draft as neighbourhoods: PCN-built ones take the LSOAs of their PCNs inside the ICB."""
    inside = lsoa.loc[lsoa["icb_code"] == icb_code]
    out = []
    for item in items:
        if item["built_from"] == "pcn":
            codes = inside.loc[inside["pcn_code"].isin(item["pcn_codes"]), "lsoa21_code"]
            out.append(Neighbourhood(item["name"], tuple(codes), "pcn", tuple(item["pcn_codes"])))
        else:
            out.append(Neighbourhood(item["name"], tuple(item["lsoa_codes"]), "lsoa"))
    return out


def add(scope: tuple[str, str]) -> None:
    """Add an empty neighbourhood to the draft (a button's callback)."""
    items = st.session_state[DRAFT_KEY]["items"]
    item = _item(Neighbourhood(f"Neighbourhood {len(items) + 1}", (), "lsoa"))
    _seed_widgets(item)
    items.append(item)


def _remove(item_id: str) -> None:
    items = st.session_state[DRAFT_KEY]["items"]
    st.session_state[DRAFT_KEY]["items"] = [i for i in items if i["id"] != item_id]


def _add_selected(item_id: str, codes: list[str], current: dict[str, tuple[str, ...]]) -> None:
    """Add LSOAs clicked on the map; a PCN-built neighbourhood becomes a list of its LSOAs plus those."""
    item = {i["id"]: i for i in st.session_state[DRAFT_KEY]["items"]}[item_id]
    _read_widgets(item)
    item["built_from"] = "lsoa"
    item["pcn_codes"] = []
    item["lsoa_codes"] = sorted(set(current.get(item_id, ())) | set(codes))
    _seed_widgets(item)


def editor(items: list[dict], lsoa: pd.DataFrame, *, icb_code: str) -> None:
    """One expander per neighbourhood: its name, what it is built from, and the PCNs or LSOAs in it."""
    inside = lsoa.loc[lsoa["icb_code"] == icb_code]
    pcns = inside.groupby(["pcn_code", "pcn_name"], as_index=False)["pop_total"].sum().sort_values("pcn_name")
    pcn_labels = {r.pcn_code: f"{r.pcn_name} ({r.pop_total:,} people)" for r in pcns.itertuples()}
    lsoa_labels = dict(
        zip(inside["lsoa21_code"], inside["lsoa21_name"] + " (" + inside["lsoa21_code"] + ")", strict=True)
    )
    people = inside.set_index("lsoa21_code")["pop_total"]
    for item in items:
        _read_widgets(item)
        definition = definitions_of([item], lsoa, icb_code=icb_code)[0]
        population = int(people.reindex(list(definition.lsoa_codes)).fillna(0).sum())
        title = f"{item['name'] or '(no name)'} - {population:,} people, {neighbourhoods.size_status(population)}"
        with st.expander(title):
            st.text_input("Name", key=f"nbh_{item['id']}_name", max_chars=neighbourhoods.MAX_NAME_LENGTH)
            st.radio(
                "Built from",
                list(BUILT_FROM_LABELS),
                format_func=BUILT_FROM_LABELS.__getitem__,
                key=f"nbh_{item['id']}_from",
                horizontal=True,
            )
            if st.session_state[f"nbh_{item['id']}_from"] == "pcn":
                st.multiselect(
                    "PCNs in this neighbourhood",
                    list(pcn_labels),
                    format_func=lambda c: pcn_labels.get(c, c),
                    key=f"nbh_{item['id']}_pcns",
                )
            else:
                st.multiselect(
                    "LSOAs in this neighbourhood (or click them on the map below)",
                    list(lsoa_labels),
                    format_func=lambda c: lsoa_labels.get(c, c),
                    key=f"nbh_{item['id']}_lsoas",
                )
            st.button(
                "Remove this neighbourhood",
                key=f"nbh_{item['id']}_remove",
                on_click=_remove,
                args=(item["id"],),
                icon=":material/delete:",
            )


def summary(definitions: list[Neighbourhood], lsoa: pd.DataFrame, *, icb_code: str) -> list[str]:
    """The draft's table (people, size) and coverage; returns its problems (empty when it can be saved)."""
    problems = neighbourhoods.validate_neighbourhoods(lsoa, icb_code=icb_code, neighbourhoods=definitions)
    if definitions:
        table = neighbourhoods.summarise_neighbourhoods(lsoa, icb_code=icb_code, neighbourhoods=definitions)
        st.dataframe(
            table.drop(columns=["code"]).assign(built_from=table["built_from"].map({"pcn": "PCNs", "lsoa": "LSOAs"})),
            hide_index=True,
            width="stretch",
            column_config={
                "name": "Neighbourhood",
                "lsoas": st.column_config.NumberColumn("LSOAs"),
                "population": st.column_config.NumberColumn("People (Census 2021)", format="localized"),
                "size_status": "Size",
                "built_from": "Built from",
            },
        )
    cover = neighbourhoods.coverage(lsoa, icb_code=icb_code, neighbourhoods=definitions)
    st.caption(
        f"The neighbourhoods cover {int(cover['people_covered']):,} of the ICB's {int(cover['people']):,} people "
        f"({cover['share_people_covered']:.0%}) and {int(cover['lsoas_covered']):,} of its "
        f"{int(cover['lsoas']):,} LSOAs. The usual size of a neighbourhood is 30,000 to 50,000 people "
        "(10 Year Health Plan)."
    )
    return problems


def map_chooser(items: list[dict], definitions: list[Neighbourhood], lsoa: pd.DataFrame, *, icb_code: str) -> None:
    """The ICB's LSOAs coloured by neighbourhood; LSOAs clicked on the map can be added to a neighbourhood."""
    inside = lsoa.loc[lsoa["icb_code"] == icb_code]
    assignment = {code: d.name for d in definitions for code in d.lsoa_codes}
    deck = _neighbourhood_deck(inside, tuple(sorted(assignment.items())), tuple(d.name for d in definitions))
    event = st.pydeck_chart(deck, height=520, key="nbh_map", on_select="rerun", selection_mode="multi-object")
    st.caption(
        "Colours: one per neighbourhood; grey LSOAs are in none. Click LSOAs (shift-click for more than one) to "
        "select them, then add them to a neighbourhood below."
    )
    selected = _selected_codes(event)
    if not selected or not items:
        return
    names = {i["id"]: i["name"] or "(no name)" for i in items}
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    target = left.selectbox(
        f"Add the {len(selected)} LSOA(s) selected on the map to",
        list(names),
        format_func=names.__getitem__,
        key="nbh_map_target",
    )
    current = {i["id"]: d.lsoa_codes for i, d in zip(items, definitions, strict=True)}
    right.button(
        "Add to this neighbourhood",
        key="nbh_map_add",
        on_click=_add_selected,
        args=(target, selected, current),
        icon=":material/add_location:",
    )


@st.cache_resource(show_spinner="Drawing the map ...", max_entries=16)
def _neighbourhood_deck(inside: pd.DataFrame, assignment: tuple, order: tuple) -> object:
    return maps.neighbourhood_deck(inside, data.boundaries("lsoa"), assignment=dict(assignment), order=list(order))


def _selected_codes(event: object) -> list[str]:
    try:
        objects = event.selection.objects.get(maps.NEIGHBOURHOOD_LAYER, [])  # type: ignore[attr-defined]
    except AttributeError:
        return []
    codes = []
    for obj in objects:
        properties = obj.get("properties", obj) if isinstance(obj, dict) else {}
        if properties.get("code"):
            codes.append(str(properties["code"]))
    return sorted(set(codes))


def save(scope: tuple[str, str], definitions: list[Neighbourhood], problems: list[str]) -> None:
    """Save the draft as the ICB's whole set, or say why not; nothing is saved when anything is wrong."""
    key, icb_code = scope
    if problems:
        st.error("Nothing was saved. Put these right first:\n" + "\n".join(f"- {p}" for p in problems))
        return
    if not access.require(access.Permission.WRITE, action="save neighbourhoods"):
        return
    user = access.current_user()
    rows = [
        {
            "name": d.name,
            "code": neighbourhoods.neighbourhood_code(d.name, icb_code=icb_code),
            "built_from": d.built_from,
            "lsoa_codes": list(d.lsoa_codes),
            "pcn_codes": list(d.pcn_codes),
        }
        for d in definitions
    ]
    try:
        with cohort_db.session() as s:
            repository.replace_neighbourhoods(
                s, icb_code=icb_code, geography_version=key, neighbourhoods=rows, user=user.email or user.name
            )
    except ValueError as error:
        st.error(f"Nothing was saved: {error}")
        return
    except SQLAlchemyError:
        LOGGER.exception("saving the neighbourhoods of %s (%s) failed", icb_code, key)
        st.error("Nothing was saved: the database could not be reached. Your draft is kept; try again shortly.")
        return
    data.neighbourhoods_saved()
    st.session_state[DRAFT_KEY]["origin"] = "saved"
    st.success(f"Saved {len(rows)} neighbourhoods for this ICB ({key}).")


def import_panel(scope: tuple[str, str], lsoa: pd.DataFrame) -> None:
    """Load a CSV of neighbourhoods into the draft (not saved until the user saves)."""
    key, icb_code = scope
    upload = st.file_uploader("Import neighbourhoods from a CSV file", type=["csv"], key="nbh_import")
    if upload is None:
        return
    try:
        imported = neighbourhoods.neighbourhoods_from_csv(
            upload.getvalue(), lsoa=lsoa, icb_code=icb_code, geography_version=key
        )
    except NeighbourhoodFileError as error:
        st.error(f"{upload.name} was not imported; your draft is unchanged.\n\n" + str(error))
        return
    if st.button(f"Replace the draft with the {len(imported)} neighbourhoods in {upload.name}", key="nbh_import_go"):
        start_draft(scope, imported, origin=f"imported from {upload.name}")
        st.rerun()


def export_button(scope: tuple[str, str], saved: list[Neighbourhood]) -> None:
    """Download the saved set as CSV (one row per LSOA)."""
    key, icb_code = scope
    st.download_button(
        "Download the saved neighbourhoods (CSV)",
        neighbourhoods.neighbourhoods_to_csv(saved, icb_code=icb_code, geography_version=key),
        file_name=f"phm_navigator_neighbourhoods_{icb_code}_{key}.csv",
        mime="text/csv",
        key="nbh_export",
        disabled=not saved,
        icon=":material/download:",
    )


def open_panel(scope: tuple[str, str], saved: list[Neighbourhood], *, lsoa: pd.DataFrame) -> None:
    """Pick a saved neighbourhood and make it the footprint of every page."""
    key, icb_code = scope
    if not saved:
        st.caption("Save neighbourhoods to use one as the footprint of the other pages.")
        return
    codes = {neighbourhoods.neighbourhood_code(d.name, icb_code=icb_code): d.name for d in saved}
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    code = left.selectbox("Look at a saved neighbourhood", list(codes), format_func=codes.__getitem__, key="nbh_open")
    if right.button("Open on the Home page", key="nbh_open_go", icon=":material/home:"):
        choose(geography.Footprint(icb_code, "neighbourhood", code, key))
        st.switch_page("pages/home.py")
