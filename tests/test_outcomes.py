"""Issue 22: outcomes on visits, local validation and local recalibration."""

from __future__ import annotations

import csv
import importlib.util
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.cli import main
from scoliscreen.core.errors import InputError
from scoliscreen.core.model import local_eval as le
from scoliscreen.core.store import SCHEMA_VERSION, Store
from scoliscreen.core.store_outcomes import best_outcome, outcome_truth

DATA = Path(__file__).parent / "data" / "records"
ANALYSIS = json.loads((DATA / "analysis_sports2d_side_walk_single.json").read_text())


def _store_with_visit(tmp_path):
    db = tmp_path / "r.sqlite3"
    store = Store.open(db)
    p = store.add_patient("P-0001", 2014, "F")
    v = store.add_visit(p["id"], "/clinic/a.mp4", ANALYSIS)
    return store, v["id"]


def test_outcomes_add_list_remove_audited(tmp_path):
    store, vid = _store_with_visit(tmp_path)
    with store:
        a = store.add_outcome(vid, "adams", klass="positive", observed_on="2026-05-02")
        r = store.add_outcome(vid, "radiograph", cobb=8.0, note="AP standing")
        s = store.add_outcome(vid, "scoliometer", klass="negative", atr=4.0)
        assert [o["id"] for o in store.outcomes(visit_id=vid)] == [a["id"], r["id"], s["id"]]
        # a radiograph outweighs a scoliometer, which outweighs Adams: Cobb 8° -> no scoliosis
        best = best_outcome(store.outcomes(visit_id=vid))
        assert best["id"] == r["id"] and outcome_truth(best) is False
        store.remove_outcome(r["id"], "wrong child's film")
        best = best_outcome(store.outcomes(visit_id=vid))
        assert best["id"] == s["id"] and outcome_truth(best) is False
        assert len(store.outcomes(visit_id=vid, include_removed=True)) == 3  # nothing is lost
        log = [(x["action"], x["entity"]) for x in store.audit_log("outcome")]
        assert log.count(("created", "outcome")) == 3 and ("deleted", "outcome") in log
        for bad in (dict(source="xray", cobb=12.0), dict(source="radiograph"),
                    dict(source="radiograph", cobb=12.0, klass="positive"), dict(source="radiograph", cobb=-3.0),
                    dict(source="adams", klass="maybe"), dict(source="scoliometer", klass="negative", atr=99.0),
                    dict(source="adams", klass="negative", observed_on="02/05/2026")):
            with pytest.raises(InputError):
                store.add_outcome(vid, **bad)
        with pytest.raises(InputError):
            store.add_outcome(vid + 99, "adams", klass="negative")
        with pytest.raises(InputError, match="already removed"):
            store.remove_outcome(r["id"])


def test_outcomes_cli(tmp_path, capsys):
    store, vid = _store_with_visit(tmp_path)
    store.close()
    db = str(tmp_path / "r.sqlite3")
    assert main(["outcomes", "--db", db, "add", str(vid), "--cobb", "23", "--source", "radiograph",
                 "--date", "2026-06-01"]) == 0
    assert "added to visit" in capsys.readouterr().out
    assert main(["outcomes", "--db", db, "list", "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(rows) == 1 and rows[0]["cobb"] == 23.0 and rows[0]["pseudonym"] == "P-0001"
    with pytest.raises(SystemExit) as exit_:  # neither cobb nor class: a usage error, one line, exit 2
        main(["outcomes", "--db", db, "add", str(vid), "--source", "radiograph"])
    assert exit_.value.code == 2
    assert main(["outcomes", "--db", db, "add", "999", "--class", "negative", "--source", "adams"]) == 2
    assert main(["outcomes", "--db", db, "remove", str(rows[0]["id"])]) == 0


def test_a_database_of_the_previous_version_migrates(tmp_path):
    """Schema 2 (the release before outcomes) -> 3: every row kept, the outcomes table added."""
    from scoliscreen.core import store_schema as sch

    spec = importlib.util.spec_from_file_location("store_v1", DATA / "store_v1.py")
    v1 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(v1)
    db = tmp_path / "v2.sqlite3"
    with v1.Store.open(db) as old:
        p = old.add_patient("SCH-7", 2013, "M")
        old.add_visit(p["id"], "/clinic/a.mp4", ANALYSIS, notes="note")
    con = sqlite3.connect(db)
    with con:
        sch.migrate_1_to_2(con)
        con.execute("PRAGMA user_version = 2")
    n_visits = con.execute("SELECT count(*) FROM visits").fetchone()[0]
    con.close()
    with Store.open(db) as store:
        assert store.schema_version() == SCHEMA_VERSION == 3
        assert len(store.visits()) == n_visits == 1
        vid = store.visits()[0]["id"]
        assert store.add_outcome(vid, "clinical", klass="neutral")["class"] == "neutral"
        assert store.analysis(vid)["screening"]["label"] == ANALYSIS["screening"]["label"]


def _direct(y, label, prob, child):
    verdict = np.isin(label, ["positive", "negative"])
    pred = label == "positive"
    tp = int((pred & y & verdict).sum())
    fn = int((~pred & y & verdict).sum())
    tn = int((~pred & ~y & verdict).sum())
    fp = int((pred & ~y & verdict).sum())
    pos, neg = prob[y & np.isfinite(prob)], prob[~y & np.isfinite(prob)]
    auc = np.mean([(p > q) + 0.5 * (p == q) for p in pos for q in neg]) if len(pos) and len(neg) else np.nan

    def r(a, b):
        return a / b if b else np.nan

    return {"sensitivity": r(tp, tp + fn), "specificity": r(tn, tn + fp), "ppv": r(tp, tp + fp),
            "npv": r(tn, tn + fn), "auc": auc, "referral_rate": pred.mean(),
            "inconclusive_rate": (label == "inconclusive").mean()}


def test_local_figures_match_a_direct_computation():
    rng = np.random.default_rng(3)
    n = 80
    y = rng.random(n) < 0.3
    prob = np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1)
    label = np.where(prob > 0.45, "positive", "negative").astype(object)
    label[rng.random(n) < 0.1] = "inconclusive"
    child = np.array([f"c{i // 2}" for i in range(n)])
    v = le.LocalVisits(child, y, label.astype(str), prob, np.log(prob / (1 - prob + 1e-9) + 1e-9))
    got = le.point_figures(v)
    for k, x in _direct(y, label.astype(str), prob, child).items():
        assert got[k] == pytest.approx(x), k
    boot = le.bootstrap(v, n_boot=200)
    assert boot["sensitivity"]["lo"] <= got["sensitivity"] <= boot["sensitivity"]["hi"]
    s = le.summary(v, n_boot=50)
    assert s["n_children"] == 40 and not s["enough_positives"] and "Too few" in s["conclusion"]


def test_recalibration_reaches_its_target_in_cross_validation():
    rng = np.random.default_rng(0)
    n = 600
    child = np.array([f"c{i}" for i in range(n)])
    y = rng.random(n) < 0.25
    logit = 1.4 * y + rng.normal(0, 1, n) - 3.0  # a shifted, mis-scaled score
    v = le.LocalVisits(child, y, np.full(n, "negative"), np.full(n, np.nan), logit)
    fit = le.recalibrate(v, target=0.85)
    assert abs(fit["cv"]["sensitivity"]["value"] - 0.85) <= 0.05
    assert fit["a"] > 0 and fit["n_positive_children"] == int(y.sum())
    with pytest.raises(ValueError):
        le.recalibrate(v.take(np.flatnonzero(~y)))


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """A small clinic: simulated children (world B, front and back walks), one visit each, screened
    by the shipped model and recorded; an outcome per child from its simulated Cobb angle."""
    from scoliscreen.app.analysis import run_analysis
    from scoliscreen.app.records import record_visit
    from scoliscreen.core.model.predict import Screener
    from scoliscreen.core.sim import simulate_dataset

    tmp = tmp_path_factory.mktemp("clinic")
    simulate_dataset(tmp / "ds", subjects=8, clips_per_subject=1, seed=11, workers=1, world="B")
    with open(tmp / "ds" / "labels.csv", newline="") as f:
        labels = list(csv.DictReader(f))
    screener = Screener.load()
    db = tmp / "clinic.sqlite3"
    with Store.open(db) as store:
        for i, row in enumerate(labels):
            p = store.add_patient(f"C-{i:03d}", 2014, "F")
            analysis = run_analysis(tmp / "ds" / row["file"], screener=screener)
            v = record_visit(store, analysis, patient_id=p["id"])
            store.add_outcome(v["id"], "radiograph", cobb=float(row["cobb_angle"]))
    return db, labels


@pytest.mark.slow
def test_validate_local_json_matches_a_direct_computation(clinic, capsys, tmp_path):
    db, labels = clinic
    assert main(["validate-local", "--db", str(db), "--json", "--out", str(tmp_path / "v.pdf")]) == 0
    res = json.loads(capsys.readouterr().out)
    with Store.open(db) as store:
        visits = {v["id"]: v for v in store.visits()}
        outs = {o["visit_id"]: o for o in store.outcomes()}
    assert res["n_children"] == len(labels) and res["n_visits"] == len(labels)
    y = np.array([outs[v]["cobb"] >= 10 for v in sorted(visits)])
    label = np.array([visits[v]["label"] for v in sorted(visits)])
    prob = np.array([visits[v]["probability"] for v in sorted(visits)], float)
    assert res["n_positive_children"] == int(y.sum())
    direct = _direct(y, label, prob, None)
    for k in ("sensitivity", "specificity", "auc", "referral_rate", "inconclusive_rate"):
        got, want = res["figures"][k]["value"], direct[k]
        assert (np.isnan(got) and np.isnan(want)) or got == pytest.approx(want, abs=1e-4), k
    assert res["card"]["label"].startswith("simulated") and "not negatives" in res["verification_note"]
    assert (tmp_path / "v.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.slow
def test_recalibrated_model_is_local_and_loads(clinic, tmp_path, capsys):
    from scoliscreen.core.model.predict import Screener

    db, _ = clinic
    out = tmp_path / "local"
    assert main(["recalibrate", "--db", str(db), "--out", str(out), "--target-sensitivity", "0.8"]) == 0
    assert "local model" in capsys.readouterr().out
    local = Screener.load(out)
    assert local.model_provenance["is_shipped"] is False
    assert "local model" in local.model_version
    card = json.loads((out / "model_card.json").read_text())
    assert card["local"]["data"]["children"] == 8
    assert "P-" not in json.dumps(card["local"]) and "C-0" not in json.dumps(card)  # counts only, no ids
    assert main(["recalibrate", "--db", str(db), "--out", str(out)]) == 2  # never over an existing model


@pytest.mark.slow
def test_train_from_records_fine_tunes_on_the_clinics_outcomes(clinic, tmp_path, capsys):
    """Issue 22 §4: the visits with outcomes as training data (same likelihood, patient-grouped
    splits, the same card), fine-tuning the shipped model; no pseudonym or path in the card."""
    from scoliscreen.core.model.predict import Screener
    from scoliscreen.core.paths import screening_model_dir

    db, labels = clinic
    out = tmp_path / "from-records"
    assert main(["train", "--from-records", "--db", str(db), "--base", str(screening_model_dir()), "--out", str(out),
                 "--epochs", "2", "--val", "0.25", "--test", "0"]) == 0
    card = json.loads((out / "model_card.json").read_text())
    assert card["data"]["source"] == "records" and card["data"]["clips"] == len(labels)
    assert card["data"]["subjects"] == len(labels)  # one subject per patient
    text = json.dumps(card)
    assert "C-0" not in text and str(db) not in text and "scoliscreen-train-" not in text
    assert Screener.load(out).model_provenance["is_shipped"] is False
    assert main(["train", "--from-records", str(tmp_path), "--out", str(tmp_path / "x")]) == 2  # folder and records
