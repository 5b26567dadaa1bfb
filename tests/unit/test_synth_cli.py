"""The command line and the stored populations: what is written, reuse, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from phm_core.settings import DEFAULT_GEOGRAPHY
from phm_core.synth import GENERATOR_VERSION
from phm_core.synth.__main__ import main
from phm_core.synth.io import (
    SAMPLE_FRACTION_ENV,
    PopulationWriteError,
    load_or_generate,
    population_folder,
    sample_fraction_setting,
)

pytestmark = pytest.mark.unit

SMALL_ICB = "E54000011"  # NHS Shropshire, Telford and Wrekin, the same in both geographies
SNEE = "E54000023"  # NHS Suffolk and North East Essex, an ICB of April 2024 only


def test_the_command_line_writes_the_population_and_says_what_it_wrote(tmp_path: Path, capsys) -> None:
    out = tmp_path / "shropshire"
    assert main(["--icb", SMALL_ICB, "--seed", "2", "--out", str(out), "--fraction", "0.01"]) == 0
    printed = capsys.readouterr().out
    people = pd.read_parquet(out / "people.parquet")
    assert len(people) == round(509_145 * 0.01)
    assert (out / "events.parquet").exists() and (out / "calibration_prevalence.csv").exists()
    metadata = json.loads((out / "metadata.json").read_text())
    expected = {"icb_code": SMALL_ICB, "geography_version": DEFAULT_GEOGRAPHY, "seed": "2", "synthetic": "true"}
    assert metadata | expected == metadata
    assert "SYNTHETIC population of NHS Shropshire, Telford and Wrekin" in printed
    assert f"wrote {out / 'people.parquet'}" in printed and f"{len(people):,} people" in printed


def test_an_unknown_icb_is_an_error_with_a_hint(tmp_path: Path, capsys) -> None:
    assert main(["--icb", "E54000999", "--out", str(tmp_path / "x")]) == 2
    error = capsys.readouterr().err
    assert "'E54000999' is not an ICB code" in error and "E54000008" in error
    assert not (tmp_path / "x").exists()


def test_an_abolished_icb_is_generated_on_the_geography_it_belonged_to(tmp_path: Path, capsys) -> None:
    # NHS Suffolk and North East Essex was abolished on 1 April 2026: not an ICB of the default geography ...
    assert main(["--icb", SNEE, "--out", str(tmp_path / "x"), "--fraction", "0.01"]) == 2
    assert f"'{SNEE}' is not an ICB code in geography {DEFAULT_GEOGRAPHY}" in capsys.readouterr().err
    # ... but one of April 2024's.
    out = tmp_path / "snee"
    arguments = ["--icb", SNEE, "--geography", "2024-04", "--seed", "2", "--out", str(out), "--fraction", "0.01"]
    assert main(arguments) == 0
    assert "SYNTHETIC population of NHS Suffolk and North East Essex" in capsys.readouterr().out
    assert len(pd.read_parquet(out / "people.parquet")) == round(985_317 * 0.01)
    metadata = json.loads((out / "metadata.json").read_text())
    assert (metadata["icb_code"], metadata["geography_version"]) == (SNEE, "2024-04")


def test_an_unwritable_folder_is_an_error_before_any_work(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["--icb", SMALL_ICB, "--out", str(blocker / "out"), "--fraction", "0.01"]) == 1
    assert "cannot write to" in capsys.readouterr().err


@pytest.mark.parametrize("fraction", ["0", "1.5", "a tenth"])
def test_a_bad_fraction_is_refused(tmp_path: Path, fraction: str, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--icb", SMALL_ICB, "--out", str(tmp_path), "--fraction", fraction])
    assert stopped.value.code == 2
    assert "--fraction" in capsys.readouterr().err


def test_a_stored_population_is_reused_and_a_stale_one_replaced(tmp_path: Path) -> None:
    first, made = load_or_generate(SMALL_ICB, seed=4, base=tmp_path, fraction=0.01)
    assert made
    folder = population_folder(SMALL_ICB, seed=4, fraction=0.01, base=tmp_path)
    assert folder == tmp_path / "synthetic" / f"{SMALL_ICB}_seed4_sample0.01"
    again, made = load_or_generate(SMALL_ICB, seed=4, base=tmp_path, fraction=0.01)
    assert not made
    pd.testing.assert_frame_equal(first.people, again.people)
    metadata = json.loads((folder / "metadata.json").read_text())
    (folder / "metadata.json").write_text(json.dumps(metadata | {"generator_version": "0"}))
    _, made = load_or_generate(SMALL_ICB, seed=4, base=tmp_path, fraction=0.01)
    assert made
    assert json.loads((folder / "metadata.json").read_text())["generator_version"] == GENERATOR_VERSION


def test_writing_where_it_cannot_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(PopulationWriteError, match="cannot write to"):
        load_or_generate(SMALL_ICB, seed=1, base=blocker, fraction=0.01)


def test_the_sample_fraction_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SAMPLE_FRACTION_ENV, raising=False)
    assert sample_fraction_setting() == 1.0
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.2")
    assert sample_fraction_setting() == 0.2
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "2")
    with pytest.raises(ValueError, match="at most 1"):
        sample_fraction_setting()
