"""Choose who to follow with a click on the person in the video (several people in view).

The analysis follows the person who walks (``core.tracking``, ``auto``). A click on a person
in the video view gives a subject ``X,Y@FRAME`` (fractions of the picture, the frame on
screen): before an analysis it is used by the next one; after an analysis of this video the
user is asked, and the video is analysed again following that person.
"""

from __future__ import annotations

FOLLOW = "follow"


class SubjectPickMixin:
    """For MainWindow: ``subject`` (None = the walker) is passed to the analysis worker."""

    subject: str | None = None

    def _on_person_clicked(self, frame: int, x: float, y: float) -> None:
        if self.video_path is None or self.is_analysing() or self.video_panel.is_live():  # type: ignore[attr-defined]
            return
        spec = f"{x:.4f},{y:.4f}@{max(int(frame), 0)}"
        if self.analysis is None or self._analysed_path != self.video_path:  # type: ignore[attr-defined]
            self.subject = spec
            self.stage.setText("The analysis will follow the person you clicked. Press Analyse.")  # type: ignore[attr-defined]
            return
        answer = self.ask(  # type: ignore[attr-defined]
            "Follow this person",
            "Analyse the video again, following the person you clicked? The current result is replaced.",
            [(FOLLOW, "Analyse this person"), ("cancel", "Cancel")])
        if answer != FOLLOW or not self.confirm_discard("analyse another person"):  # type: ignore[attr-defined]
            return
        self.subject = spec
        self.start_analysis()  # type: ignore[attr-defined]

    def subject_hint(self, analysis) -> str:
        """A sentence for the status line when several people were in view ('' otherwise)."""
        seq = getattr(analysis, "raw_sequence", None)
        tracking = seq.meta.get("tracking", {}) if seq is not None else {}
        people = [t for t in tracking.get("tracks", []) if t.get("frames", 0) >= 15]
        if len(people) < 2:
            return ""
        who = "the person you clicked" if self.subject else "the person who walks"
        return f" Several people were in view: {who} was followed; click on another person to follow them."
