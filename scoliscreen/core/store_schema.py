"""The records database schema and its migrations (``PRAGMA user_version``).

Version 1 (the first release): ``patients`` and ``visits`` (the whole analysis in
``visits.result_json``, the notes in ``visits.notes``, the video path and hash on the visit).

Version 2: a visit is split into what was recorded and what was concluded, each with its own
table, and the working day gets its tables:

* ``patients``  + school, school_class, updated_at, archived_at (archived = hidden, never deleted)
* ``visits``    one row per screening: patient, dates, the headline numbers (for lists and trends)
* ``analyses``  the whole ``Analysis.to_dict()`` JSON of a visit, model version and sha256
                (a visit never exists without its analysis row: both go in one transaction)
* ``recordings`` the source video: path, sha256, duration, fps, size, optional copy in the data dir
* ``sequences`` the pose sequence (``.npz`` bytes, docs/sequence_format.md) of a visit
* ``notes``     clinician notes tied to a visit (``kind`` "analysis" = given with the analysis)
* ``measurements`` line / angle tools on a paused frame (points in pixels, value, unit, frame)
* ``audit``     who did what when: created, viewed, exported, deleted, edited

Version 3: ``outcomes`` -- what a visit turned out to be (a radiograph's Cobb angle, a
scoliometer reading, an Adams test, a clinical judgement), several per visit, removed only by
marking (``removed_at``), every change in the audit log.

Migrations only ever move data forward; each runs in one ``BEGIN IMMEDIATE`` transaction
together with the ``user_version`` bump, so a crash leaves the old version intact.
"""

from __future__ import annotations

SCHEMA_VERSION = 3

# Version 1, exactly as the first release created it (kept for the migration test and for
# opening an empty file the old way).
V1_DDL = """
CREATE TABLE IF NOT EXISTS [patients] (
   [id] INTEGER PRIMARY KEY, [pseudonym] TEXT NOT NULL, [birth_year] INTEGER, [sex] TEXT,
   [created_at] TEXT NOT NULL, [notes] TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS [idx_patients_pseudonym] ON [patients] ([pseudonym]);
CREATE TABLE IF NOT EXISTS [visits] (
   [id] INTEGER PRIMARY KEY, [patient_id] INTEGER REFERENCES [patients]([id]),
   [created_at] TEXT NOT NULL, [video] TEXT, [video_sha256] TEXT, [sequence_file] TEXT,
   [usable] INTEGER, [quality_verdict] TEXT, [probability] FLOAT, [label] TEXT,
   [cobb_estimate] FLOAT, [severity_band] TEXT, [model_version] TEXT, [notes] TEXT,
   [result_json] TEXT
);
CREATE INDEX IF NOT EXISTS [idx_visits_patient_id] ON [visits] ([patient_id]);
"""

V2_TABLES = """
CREATE TABLE [visits_v2] (
   [id] INTEGER PRIMARY KEY,
   [patient_id] INTEGER REFERENCES [patients]([id]),
   [created_at] TEXT NOT NULL,
   [visited_at] TEXT NOT NULL,
   [usable] INTEGER, [quality_verdict] TEXT,
   [probability] FLOAT, [label] TEXT, [threshold] FLOAT,
   [cobb_estimate] FLOAT, [cobb_low] FLOAT, [cobb_high] FLOAT, [severity_band] TEXT,
   [model_version] TEXT,
   [deleted_at] TEXT
);
CREATE TABLE [analyses] (
   [visit_id] INTEGER PRIMARY KEY REFERENCES [visits]([id]),
   [result_json] TEXT NOT NULL,
   [model_version] TEXT, [model_sha256] TEXT,
   [created_at] TEXT NOT NULL
);
CREATE TABLE [recordings] (
   [id] INTEGER PRIMARY KEY,
   [visit_id] INTEGER NOT NULL UNIQUE REFERENCES [visits]([id]),
   [source_path] TEXT, [sha256] TEXT, [duration_s] FLOAT, [fps] FLOAT, [frames] INTEGER,
   [width] INTEGER, [height] INTEGER, [kind] TEXT,
   [copy_path] TEXT,
   [sequence_file] TEXT
);
CREATE TABLE [sequences] (
   [visit_id] INTEGER PRIMARY KEY REFERENCES [visits]([id]),
   [format] TEXT NOT NULL, [sha256] TEXT NOT NULL, [data] BLOB NOT NULL
);
CREATE TABLE [notes] (
   [id] INTEGER PRIMARY KEY,
   [visit_id] INTEGER NOT NULL REFERENCES [visits]([id]),
   [kind] TEXT NOT NULL, [text] TEXT NOT NULL, [author] TEXT NOT NULL,
   [created_at] TEXT NOT NULL, [updated_at] TEXT
);
CREATE INDEX [idx_notes_visit_id] ON [notes] ([visit_id]);
CREATE TABLE [measurements] (
   [id] INTEGER PRIMARY KEY,
   [visit_id] INTEGER NOT NULL REFERENCES [visits]([id]),
   [kind] TEXT NOT NULL, [points_json] TEXT NOT NULL, [value] FLOAT, [unit] TEXT,
   [frame_index] INTEGER, [label] TEXT, [author] TEXT NOT NULL, [created_at] TEXT NOT NULL
);
CREATE INDEX [idx_measurements_visit_id] ON [measurements] ([visit_id]);
CREATE TABLE [audit] (
   [id] INTEGER PRIMARY KEY,
   [at] TEXT NOT NULL, [user] TEXT NOT NULL, [action] TEXT NOT NULL,
   [entity] TEXT NOT NULL, [entity_id] INTEGER, [detail] TEXT
);
CREATE INDEX [idx_audit_entity] ON [audit] ([entity], [entity_id]);
"""

# v1 visits -> v2 tables (in this order; visits_v2 replaces visits at the end).
V1_TO_V2_COPY = """
INSERT INTO [visits_v2] (id, patient_id, created_at, visited_at, usable, quality_verdict, probability,
    label, threshold, cobb_estimate, severity_band, model_version)
  SELECT id, patient_id, created_at, created_at, usable, quality_verdict, probability, label,
    json_extract(result_json, '$.screening.threshold'), cobb_estimate, severity_band, model_version
  FROM [visits];
INSERT INTO [analyses] (visit_id, result_json, model_version, created_at)
  SELECT id, COALESCE(result_json, '{}'), model_version, created_at FROM [visits];
INSERT INTO [recordings] (visit_id, source_path, sha256, duration_s, fps, frames, width, height, kind,
    sequence_file)
  SELECT id, video, video_sha256, json_extract(result_json, '$.duration_s'),
    json_extract(result_json, '$.source.fps'), json_extract(result_json, '$.source.frames'),
    json_extract(result_json, '$.source.size[0]'), json_extract(result_json, '$.source.size[1]'),
    json_extract(result_json, '$.source.kind'), sequence_file
  FROM [visits];
INSERT INTO [notes] (visit_id, kind, text, author, created_at)
  SELECT id, 'analysis', notes, 'local user', created_at FROM [visits]
  WHERE notes IS NOT NULL AND notes != '';
INSERT INTO [audit] (at, user, action, entity, entity_id, detail)
  SELECT created_at, 'local user', 'created', 'visit', id, 'recorded before the audit log (schema 1)'
  FROM [visits];
DROP TABLE [visits];
ALTER TABLE [visits_v2] RENAME TO [visits];
CREATE INDEX [idx_visits_patient_id] ON [visits] ([patient_id]);
CREATE INDEX [idx_visits_visited_at] ON [visits] ([visited_at]);
ALTER TABLE [patients] ADD COLUMN [school] TEXT;
ALTER TABLE [patients] ADD COLUMN [school_class] TEXT;
ALTER TABLE [patients] ADD COLUMN [updated_at] TEXT;
ALTER TABLE [patients] ADD COLUMN [archived_at] TEXT;
"""


V2_TO_V3 = """
CREATE TABLE [outcomes] (
   [id] INTEGER PRIMARY KEY,
   [visit_id] INTEGER NOT NULL REFERENCES [visits]([id]),
   [source] TEXT NOT NULL, [cobb] FLOAT, [class] TEXT, [atr] FLOAT, [observed_on] TEXT, [note] TEXT,
   [author] TEXT NOT NULL, [created_at] TEXT NOT NULL, [removed_at] TEXT
);
CREATE INDEX [idx_outcomes_visit_id] ON [outcomes] ([visit_id]);
"""


def _script(conn, sql: str) -> None:
    """Run ``;``-separated statements inside the caller's transaction (``executescript``
    would commit it)."""
    for statement in sql.split(";"):
        if statement.strip():
            conn.execute(statement)


def create_v1(conn) -> None:
    _script(conn, V1_DDL)


def migrate_1_to_2(conn) -> None:
    _script(conn, V2_TABLES)
    _script(conn, V1_TO_V2_COPY)


def migrate_2_to_3(conn) -> None:
    _script(conn, V2_TO_V3)


# from-version -> step to the next version
MIGRATIONS = {1: migrate_1_to_2, 2: migrate_2_to_3}


def migrate(conn, current: int) -> int:
    """Bring an open database from ``current`` to :data:`SCHEMA_VERSION`; the caller holds the
    write transaction. A fresh file (version 0) is created at version 1 and migrated like any
    other, so there is one path to the newest schema."""
    if current == 0:
        create_v1(conn)
        current = 1
    while current < SCHEMA_VERSION:
        MIGRATIONS[current](conn)
        current += 1
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return current
