"""The Flower apps (Message API of flwr 1.42): the coordinator's ServerApp and a clinic's
ClientApp. Loaded by the Flower processes (``flower-superlink`` runs the ServerApp,
``flower-supernode`` the ClientApp) from the components named in the app's pyproject
(``deploy.write_app_project``).

What a clinic sends, per round: the trainable parameters (``arrays``), ``num-examples`` and
training loss (``metrics``); per evaluation: AUC and counts on its held-out subjects, and its
pseudonymous site label. Never a pose sequence, a record, an id or a file name.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg, FedProx

from scoliscreen.core.federated import learning

# ---- the clinic -----------------------------------------------------------------------------
client = ClientApp()
_sites: dict[str, learning.SiteData] = {}


def _site(context: Context) -> tuple[str, learning.SiteData]:
    cfg: Any = context.node_config
    label = str(cfg.get("site", "site"))
    key = json.dumps({k: str(v) for k, v in cfg.items()}, sort_keys=True)
    if key not in _sites:
        if cfg.get("data"):
            _sites[key] = learning.load_dataset_site(str(cfg["data"]), seed=int(cfg.get("seed", 0)))
        else:
            records = str(cfg.get("records", ""))
            _sites[key] = learning.load_records_site(records or None, seed=int(cfg.get("seed", 0)))
    return label, _sites[key]


def _net(context: Context, arrays: ArrayRecord):
    base = str(context.node_config.get("base-model", "")) or None
    net, _ = learning.load_base(base)
    learning.set_arrays(net, arrays.to_numpy_ndarrays())
    return net


@client.train()
def train(msg: Message, context: Context) -> Message:
    _, site = _site(context)
    content: Any = msg.content
    net = _net(context, content["arrays"])
    cfg: Any = content["config"]
    stats = learning.local_train(net, site, epochs=int(cfg.get("local-epochs", 1)), lr=float(cfg.get("lr", 1e-3)),
                                 mu=float(cfg.get("proximal-mu", 0.0)), seed=int(cfg.get("server-round", 0)))
    reply = RecordDict({"arrays": ArrayRecord(learning.get_arrays(net)),
                          "metrics": MetricRecord({"num-examples": stats["num-examples"],
                                                   "train_loss": stats["train_loss"]})})
    return Message(content=reply, reply_to=msg)


@client.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    label, site = _site(context)
    content: Any = msg.content
    net = _net(context, content["arrays"])
    m = learning.evaluate(net, site, "test")
    counts = site.counts()
    metrics: dict[str, Any] = {"num-examples": max(1.0, m["n"]), "auc": m["auc"] if math.isfinite(m["auc"]) else -1.0,
               "n_test_clips": m["n"], "n_test_positive": m["n_positive"],
               "subjects": float(counts["subjects"]), "subjects_with_scoliosis": float(counts["subjects_with_scoliosis"])}
    reply = RecordDict({"metrics": MetricRecord(metrics), "site": ConfigRecord({"label": label})})
    return Message(content=reply, reply_to=msg)


# ---- the coordinator ------------------------------------------------------------------------
server = ServerApp()


def _per_site(replies: list[RecordDict], weighted_by_key: str) -> MetricRecord:
    """Aggregate evaluation metrics (weighted AUC) and keep each site's own, in order of labels."""
    rows = []
    for r in replies:
        rec: Any = r
        m = dict(rec["metrics"]) if "metrics" in rec else {}
        label = str(dict(rec["site"]).get("label", "?")) if "site" in rec else "?"
        rows.append((label, m))
    _SITE_LOG.append(rows)
    w = [max(1.0, float(m.get("num-examples", 1.0))) for _, m in rows]
    aucs = [float(m.get("auc", -1.0)) for _, m in rows]
    ok = [(a, x) for a, x in zip(aucs, w) if a >= 0]
    mean = sum(a * x for a, x in ok) / sum(x for _, x in ok) if ok else -1.0
    return MetricRecord({"auc": mean, "sites": float(len(rows))})


_SITE_LOG: list[list[tuple[str, dict]]] = []


@server.main()
def main(grid: Grid, context: Context) -> None:
    from scoliscreen.core.federated.model_out import write_federated_model

    cfg: Any = context.run_config
    base = str(cfg.get("base-model", "")) or None
    rounds = int(cfg.get("rounds", 3))
    k = int(cfg.get("min-clients", 2))
    mu = float(cfg.get("proximal-mu", 0.0))
    net, card = learning.load_base(base)
    kw: Any = dict(fraction_train=1.0, fraction_evaluate=1.0, min_train_nodes=k, min_evaluate_nodes=k, min_available_nodes=k,
              evaluate_metrics_aggr_fn=_per_site)
    strategy = FedProx(proximal_mu=mu, **kw) if mu > 0 else FedAvg(**kw)
    result = strategy.start(grid=grid, initial_arrays=ArrayRecord(learning.get_arrays(net)), num_rounds=rounds,
                            train_config=ConfigRecord({"local-epochs": int(cfg.get("local-epochs", 1)),
                                                       "lr": float(cfg.get("lr", 1e-3))}))
    learning.set_arrays(net, result.arrays.to_numpy_ndarrays())
    sites = _SITE_LOG[-1] if _SITE_LOG else []
    write_federated_model(net, card, Path(str(cfg["out-dir"])), rounds=rounds,
                          strategy=type(strategy).__name__, mu=mu, sites=sites)
