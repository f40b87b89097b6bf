"""The video panel's live camera (or a file replayed as one): countdown, recording, live
skeleton and figures (a mixin of ``VideoPanel``)."""

from __future__ import annotations

from pathlib import Path

from scoliscreen.workers.base import start_worker


class LiveMixin:
    """Live view and recording; ``VideoPanel`` provides the widgets, timers and signals."""

    # ---- live camera / stand-in ------------------------------------------------------------
    def is_live(self) -> bool:
        return self._live is not None

    def start_live(self, source: int | str, record_folder: str | Path | None = None,
                   pose: bool = True, loop: bool = False) -> None:
        """Show a camera index (or a file replayed in real time) live with the skeleton.

        With ``record_folder``, a 3-second countdown runs, then the frames are recorded there
        until :meth:`stop_live`; the saved file is then opened for review and analysis.
        """
        from scoliscreen.workers.live import LiveWorker

        self.stop_live()
        self.pause()
        self.info = None
        self._sequence = None
        self.slider.setEnabled(False)
        self._set_transport_enabled(False)
        worker = LiveWorker(source, pose=pose, loop=loop)
        worker.frame_ready.connect(self._on_live_frame)
        worker.pose_ready.connect(self._on_live_pose)
        worker.stats.connect(self._on_live_stats)
        worker.recording_saved.connect(self._on_recording_saved)
        worker.error.connect(self.error)
        worker.finished.connect(self._on_live_finished)
        self._live_frames = 0
        self.view.badge = "LIVE"
        self.view.set_message("")
        self._live = start_worker(worker, "live")
        self._record_folder = record_folder
        if record_folder is not None:
            self._countdown_left = self.countdown_s
            self.view.set_message(str(self._countdown_left))
            self._countdown.start()

    def _countdown_tick(self) -> None:
        self._countdown_left -= 1
        if self._countdown_left > 0:
            self.view.set_message(str(self._countdown_left))
            return
        self._countdown.stop()
        self.view.set_message("")
        if self._live is not None and self._record_folder is not None:
            self._live.worker.start_recording(self._record_folder)
            self.view.badge = "REC ●"

    def stop_live(self) -> None:
        """Stop the live view (and finish a recording, which is then opened)."""
        self._countdown.stop()
        handle, self._live = self._live, None
        if handle is not None:
            handle.worker.stop_recording()
            self.last_stop_clean = handle.stop(10000)  # False if the thread did not end in time
            self.live_stopped.emit()
        self.view.badge = ""

    def _on_live_frame(self, index: int, ts_ms: float, image) -> None:
        if self._live is None:
            return
        self._live_frames += 1
        self.view.set_image(image)
        self.frame_shown.emit(index)

    def _on_live_pose(self, index: int, landmarks) -> None:
        if self._live is not None:
            self.view.set_landmarks(landmarks)

    def _on_live_stats(self, stats: dict) -> None:
        self.live_stats_last = stats
        self.live_label.setText(
            f"video {stats.get('display_fps', 0):.0f} fps · skeleton {stats.get('pose_fps', 0):.0f} fps"
        )

    def _on_live_finished(self) -> None:
        if self._live is not None and self.sender() is self._live.worker:
            self._live = None  # the source ended by itself (camera lost, stand-in file ended)
            self._countdown.stop()
            self.view.set_message("")
            self.live_stopped.emit()
        self.view.badge = ""
        self.view.update()

    def _on_recording_saved(self, path: str) -> None:
        self.recording_saved.emit(path)
