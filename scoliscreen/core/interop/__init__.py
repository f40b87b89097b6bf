"""Interoperability: a visit into hospital systems (FHIR, DICOM) and the pose into gait tools
(C3D, TRC, OpenPose, CSV), and pose from other tools in (docs/interop.md).

One interface: every format is a :class:`Format` with a name, what ``OUT`` is (a file with a
suffix, or a folder), a one-line purpose and a ``kind`` saying what it needs: ``"visit"``
exporters take the pseudonymised :class:`VisitExport` and the PDF report; ``"pose"`` exporters
take the visit's pose sequence. ``app.interop.export_visit`` dispatches on it. The heavy
libraries (fhir.resources, pydicom, ezc3d; the ``interop`` extra) are imported by each format
module when it writes, so a missing one is one clear sentence (``output.ExportUnavailable``).
"""

from __future__ import annotations

from dataclasses import dataclass

from scoliscreen.core.interop.output import ExportUnavailable
from scoliscreen.core.interop.pose_in import POSE_IN_SUFFIXES, is_foreign_pose, load_foreign_pose
from scoliscreen.core.interop.visit import VisitExport, from_open_visit


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str  # "" = OUT is a folder
    kind: str  # "visit" (result + PDF) or "pose" (the pose sequence)
    purpose: str
    library: str | None = None  # the interop-extra package it needs


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("fhir", ".json", "visit", "FHIR R4 Bundle for a hospital record (Patient by pseudonym, Observations, "
                                      "DiagnosticReport with the PDF)", "fhir.resources"),
    Format("dicom", ".dcm", "visit", "DICOM Encapsulated PDF of the report for a PACS (pseudonymous Patient ID)",
           "pydicom"),
    Format("c3d", ".c3d", "pose", "C3D 2-D points in image pixels for Mokka, Visual3D, ezc3d", "ezc3d"),
    Format("trc", ".trc", "pose", "TRC markers in pixels for OpenSim, Pose2Sim, Sports2D"),
    Format("openpose", "", "pose", "OpenPose BODY_25 JSON, one file per frame, for Sports2D, Pose2Sim, Kinovea"),
    Format("csv", "", "pose", "CSV tables: per-frame landmarks and the per-window knowledge map"),
)}

__all__ = ["FORMATS", "Format", "ExportUnavailable", "VisitExport", "from_open_visit", "POSE_IN_SUFFIXES",
           "is_foreign_pose", "load_foreign_pose"]
