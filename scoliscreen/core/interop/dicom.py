"""DICOM Encapsulated PDF: the visit's PDF report for a PACS (pydicom).

SOP class Encapsulated PDF Storage (1.2.840.10008.5.1.4.1.1.104.1), explicit VR little endian,
new Study / Series / SOP Instance UIDs on every export (``pydicom.uid.generate_uid``). Patient:
``PatientID`` = the pseudonym, ``PatientName`` and ``PatientBirthDate`` present but empty (type 2:
the attribute must exist, its value may be empty; ScoliScreen keeps no name and only the birth
year), ``PatientSex``, ``PatientAge`` at the visit, ``PatientIdentityRemoved`` = YES. Study and
series date and time = the visit's. ``EncapsulatedDocumentLength`` is the PDF's length, so the
zero byte DICOM adds to an odd-length value is cut off on reading (:func:`pdf_from_dicom`).
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

from scoliscreen import DISCLAIMER, __version__
from scoliscreen.core.interop import output
from scoliscreen.core.interop.visit import VisitExport

ENCAPSULATED_PDF_STORAGE = "1.2.840.10008.5.1.4.1.1.104.1"


def _when(iso: str) -> datetime:
    try:
        dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        dt = datetime.now(timezone.utc)
    return dt.astimezone(timezone.utc) if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def dicom_bytes(visit: VisitExport, pdf: bytes) -> bytes:
    pydicom = output.require("pydicom", "dicom")
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ExplicitVRLittleEndian, generate_uid

    when = _when(visit.visited_at)
    date, time = when.strftime("%Y%m%d"), when.strftime("%H%M%S")
    now = datetime.now(timezone.utc)
    sop_uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(ENCAPSULATED_PDF_STORAGE)
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID, ds.SOPInstanceUID = ENCAPSULATED_PDF_STORAGE, sop_uid
    ds.InstanceCreationDate, ds.InstanceCreationTime = now.strftime("%Y%m%d"), now.strftime("%H%M%S")
    # Patient module: pseudonym only (type 2 attributes present, left empty)
    ds.PatientName = ""
    ds.PatientID = visit.pseudonym
    ds.PatientBirthDate = ""
    ds.PatientSex = {"F": "F", "M": "M"}.get((visit.sex or "").upper(), "O" if visit.sex else "")
    if visit.birth_year:
        ds.PatientAge = f"{max(0, min(999, when.year - visit.birth_year)):03d}Y"
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "ScoliScreen: pseudonym only, no name or birth date"
    # General Study, Encapsulated Document Series, equipment
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = date
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = time
    ds.AcquisitionDateTime = date + time
    ds.StudyID = str(visit.visit_id)
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "Gait-video scoliosis screening (research use)"
    ds.SeriesDescription = "ScoliScreen visit report"
    ds.Modality = "DOC"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Manufacturer = "ScoliScreen"
    ds.SoftwareVersions = [__version__, str(visit.screening.get("model_version") or "no model")]
    ds.ConversionType = "WSD"
    # Encapsulated Document module
    ds.BurnedInAnnotation = "YES"  # the report names the pseudonym
    ds.DocumentTitle = f"ScoliScreen visit report. {DISCLAIMER}"[:64]
    ds.ConceptNameCodeSequence = []
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocument = pdf
    ds.EncapsulatedDocumentLength = len(pdf)
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, ds, enforce_file_format=True)
    return buf.getvalue()


def write_dicom(visit: VisitExport, pdf: bytes, out: str | Path) -> Path:
    return output.write_file(out, dicom_bytes(visit, pdf))


def pdf_from_dicom(path: str | Path) -> bytes:
    """The encapsulated PDF exactly as it was (the DICOM pad byte removed)."""
    pydicom = output.require("pydicom", "dicom")
    ds = pydicom.dcmread(str(path))
    data = bytes(ds.EncapsulatedDocument)
    n = ds.get("EncapsulatedDocumentLength")
    return data[: int(n)] if n is not None else data
