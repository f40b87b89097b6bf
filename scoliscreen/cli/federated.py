"""``scoliscreen federated ...``: train the screening network across clinics with Flower, no
child's data leaving its clinic (docs/federated.md). Needs the ``federated`` extra."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("federated", help="federated training across clinics (Flower); docs/federated.md")
    fsub = p.add_subparsers(dest="federated_command", metavar="ACTION")
    c = fsub.add_parser("coordinate", help="run the coordinator (SuperLink + ServerApp) and write the aggregated model")
    c.add_argument("--address", required=True, metavar="HOST:PORT", help="where the clinics connect")
    c.add_argument("--rounds", type=int, default=3)
    c.add_argument("--min-clients", type=int, default=2)
    c.add_argument("--local-epochs", type=int, default=1)
    c.add_argument("--lr", type=float, default=1e-3)
    c.add_argument("--proximal-mu", type=float, default=0.0, help="FedProx proximal term (0: FedAvg)")
    c.add_argument("--base", metavar="DIR", default="", help="the model to start from (default: the shipped one)")
    c.add_argument("--out", required=True, metavar="DIR", help="the aggregated model folder (new or empty)")
    c.add_argument("--timeout", type=float, default=3600.0, metavar="S")
    _security(c)
    j = fsub.add_parser("join", help="run one clinic's node (SuperNode + ClientApp) until the run is over")
    src = j.add_mutually_exclusive_group(required=True)
    src.add_argument("--records", action="store_true", help="train on this clinic's visits with outcomes")
    src.add_argument("dataset", nargs="?", help="or a dataset folder (labels.csv + clips)")
    j.add_argument("--db", help="records database (with --records; default: in the user data dir)")
    j.add_argument("--server", required=True, metavar="HOST:PORT")
    j.add_argument("--site", required=True, help="this clinic's pseudonymous label (as in the certificates folder)")
    j.add_argument("--base", metavar="DIR", default="", help="the model the coordinator starts from, if not shipped")
    j.add_argument("--max-wait", type=float, default=60.0, metavar="S",
                   help="stop this long after the coordinator went away (default 60)")
    _security(j)
    k = fsub.add_parser("certificates", help="make a CA, the coordinator's TLS certificate and each clinic's key pair")
    k.add_argument("folder")
    k.add_argument("--host", action="append", default=[], help="the coordinator's name or IP (repeatable)")
    k.add_argument("--site", action="append", default=[], required=True, help="a clinic's label (repeatable)")
    p.set_defaults(func=run)


def _security(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--certificates", metavar="DIR", help="TLS + SuperNode keys ('federated certificates')")
    g.add_argument("--insecure", action="store_true", help="no TLS, no keys: loopback only (tests, one machine)")


def run(args) -> int:
    from pathlib import Path

    from scoliscreen.core.errors import InputError

    try:
        from scoliscreen.core.federated import deploy
    except ImportError as exc:
        raise InputError(f"federated training needs the 'federated' extra (pip install 'scoliscreen[federated]'): "
                         f"{exc.name} is missing") from None
    cmd = args.federated_command
    if cmd is None:
        print("usage: scoliscreen federated coordinate|join|certificates ... (see --help)")
        return 2
    if cmd == "certificates":
        files = deploy.make_certificates(Path(args.folder), args.host or ["localhost"], args.site)
        print(f"wrote {len(files)} files to {args.folder} (owner-only). Give each clinic ca.crt and its own "
              "sites/LABEL.key; keep server.key and the .pub files on the coordinator.")
        return 0
    certs = Path(args.certificates) if args.certificates else None
    if cmd == "coordinate":
        settings = deploy.RunSettings(rounds=args.rounds, min_clients=args.min_clients, local_epochs=args.local_epochs,
                                      lr=args.lr, proximal_mu=args.proximal_mu, base_model=args.base)
        out = deploy.coordinate(args.address, Path(args.out), settings, certificates=certs, insecure=args.insecure,
                                timeout=args.timeout, log=print)
        print(f"aggregated model written to {out} (a local model under its own hash)")
        return 0
    if not args.records and args.db:
        raise InputError("--db goes with --records")
    return deploy.join(args.server, site=args.site, data=Path(args.dataset) if args.dataset else None,
                       records=(args.db or "") if args.records else None, certificates=certs, insecure=args.insecure,
                       base_model=args.base, max_wait=args.max_wait)
