"""``scoliscreen db ...``: whole-database copies of the local records.

    scoliscreen db backup OUT             # SQLite online backup (safe while the app is running)
    scoliscreen db export OUTDIR          # one CSV per table
    scoliscreen db info                   # where the file is, schema version, counts
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="back up or export the local records database")
    p.add_argument("--db", help="records database (default: in the user data dir)")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION")
    b = dsub.add_parser("backup", help="copy the database with SQLite's online backup")
    b.add_argument("out", metavar="OUT", help="new file (or an existing folder) for the copy")
    e = dsub.add_parser("export", help="write one CSV file per table")
    e.add_argument("outdir", metavar="OUTDIR")
    dsub.add_parser("info", help="where the database is, its schema version and row counts")
    p.set_defaults(func=run, _parser=p)


def run(args) -> int:
    from scoliscreen.core.store import Store
    from scoliscreen.core.store_io import EXPORT_TABLES

    if not args.db_command:
        args._parser.print_help()
        return 0
    with Store.open(args.db, read_only=True) as store:  # backup, export and info only read
        if args.db_command == "backup":
            out = store.backup(args.out)
            print(f"backed up {store.path} to {out}")
        elif args.db_command == "export":
            paths = store.export_csv(args.outdir)
            print(f"wrote {len(paths)} CSV files to {args.outdir}: " + ", ".join(p.name for p in paths))
        else:
            print(f"database: {store.path}")
            print(f"schema version: {store.schema_version()}")
            for table in EXPORT_TABLES:
                n = store.conn.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]
                print(f"  {table:<13} {n}")
    return 0
