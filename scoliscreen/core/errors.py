"""Exceptions whose message is meant for the user (printed as one line, non-zero exit)."""


class ScoliScreenError(Exception):
    """Base class: the message is a complete, user-readable sentence. Exit code 2 by default."""

    exit_code = 2


class InputError(ScoliScreenError):
    """The input file / camera / argument cannot be used (missing, corrupt, wrong type)."""


class ModelIntegrityError(ScoliScreenError):
    """A bundled model file is missing or its sha256 does not match the recorded one."""


class RecordingUnusable(ScoliScreenError):
    """The quality gate refused a recording; ``report`` holds the QualityReport."""

    exit_code = 3

    def __init__(self, message: str, report: object = None) -> None:
        super().__init__(message)
        self.report = report


class DatasetError(ScoliScreenError):
    """A dataset folder or labels.csv is malformed (message names the row)."""


class LeakageError(ScoliScreenError):
    """A subject appears on both sides of a train/evaluation split."""


class Cancelled(ScoliScreenError):
    """Long work was cancelled by the user."""

    exit_code = 130


class OutputError(InputError):
    """An output cannot be written: the target is a link, a device or a folder, or the disk is
    full / read-only / not ours (message names the file). An InputError (the path given cannot
    be used), so every place that reports a bad input in its row or line reports this too."""
