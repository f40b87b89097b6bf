"""Issue 22 acceptance (federated benchmark): three clinics, each one simulated world's children
(default B, C and R; the real-gait world M joins when it exists), on loopback with real Flower
processes (TLS + SuperNode keys). Compares, on each site's held-out subjects (AUC):

* the federated model (FedAvg of the trainable parameters, ``--rounds`` x ``--local-epochs``);
* pooled training on the union of the three training splits (the same local procedure and number
  of passes, one process: the baseline federated training tries to match; bar: within 0.03);
* each single-site model on the *other* sites (bar: the federated model above their mean);
* the base (shipped) model, untouched.

    python benchmarks/federated.py [--worlds B,C,R] [--subjects 40] [--rounds 3] [--out docs/federated_benchmark.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from scoliscreen.core.federated import deploy, learning
from scoliscreen.core.sim import simulate_dataset


def _train_copy(sites, which, epochs, lr, seed=0):
    net, _ = learning.load_base()
    for e in range(epochs):
        for i in which:
            learning.local_train(net, sites[i], epochs=1, lr=lr, seed=seed + e)
    return net


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worlds", default="B,C,R")
    ap.add_argument("--subjects", type=int, default=40)
    ap.add_argument("--clips", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--local-epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    worlds = a.worlds.split(",")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folders = []
        for i, w in enumerate(worlds):
            simulate_dataset(tmp / w, subjects=a.subjects, clips_per_subject=a.clips, seed=100 + i, world=w,
                             pose_errors="fitted")
            folders.append(tmp / w)
        sites = [learning.load_dataset_site(f) for f in folders]
        # --- federated, real processes
        labels = [f"clinic-{w.lower()}" for w in worlds]
        certs = tmp / "certs"
        deploy.make_certificates(certs, ["127.0.0.1"], labels)
        addr = f"127.0.0.1:{deploy.free_port()}"
        nodes = [subprocess.Popen([sys.executable, "-m", "scoliscreen", "federated", "join", str(f), "--server", addr,
                                   "--site", lab, "--certificates", str(certs), "--max-wait", "5"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for f, lab in zip(folders, labels)]
        t_fed = time.monotonic()
        deploy.coordinate(addr, tmp / "fed", deploy.RunSettings(rounds=a.rounds, min_clients=len(worlds),
                                                               local_epochs=a.local_epochs, lr=a.lr),
                          certificates=certs, timeout=7200, log=print)
        t_fed = time.monotonic() - t_fed
        for n in nodes:
            n.wait(120)
        from scoliscreen.core.model.card import load_model

        fed, _ = load_model(tmp / "fed", "cpu")
        # --- baselines in this process
        passes = a.rounds * a.local_epochs
        pooled = _train_copy(sites, range(len(sites)), passes, a.lr)
        singles = [_train_copy(sites, [i], passes, a.lr) for i in range(len(sites))]
        base, _ = learning.load_base()
        rows = []
        for i, (w, s) in enumerate(zip(worlds, sites)):
            others = [learning.evaluate(singles[j], s)["auc"] for j in range(len(sites)) if j != i]
            rows.append({"site": w, "test_clips": int(len(s.test)), "federated": learning.evaluate(fed, s)["auc"],
                         "pooled": learning.evaluate(pooled, s)["auc"], "own_site_model": learning.evaluate(singles[i], s)["auc"],
                         "other_site_models_mean": float(np.mean(others)), "base_model": learning.evaluate(base, s)["auc"]})
    res = {"worlds": worlds, "subjects_per_site": a.subjects, "clips_per_subject": a.clips, "rounds": a.rounds,
           "local_epochs": a.local_epochs, "federated_seconds": round(t_fed, 1), "total_seconds": round(time.monotonic() - t0, 1),
           "sites": rows}
    for r in rows:
        r["fed_minus_pooled"] = r["federated"] - r["pooled"]
        r["within_0.03_of_pooled"] = abs(r["fed_minus_pooled"]) <= 0.03
        r["above_other_site_models"] = r["federated"] > r["other_site_models_mean"]
    print(json.dumps(res, indent=2))
    print(f"{'site':<6} {'federated':>9} {'pooled':>7} {'others':>7} {'base':>6}")
    for r in rows:
        print(f"{r['site']:<6} {r['federated']:>9.3f} {r['pooled']:>7.3f} {r['other_site_models_mean']:>7.3f} "
              f"{r['base_model']:>6.3f}")
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
