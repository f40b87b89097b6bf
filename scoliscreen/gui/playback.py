"""Player keys, recent files and the window's fit to the screen, for the main window.

Shortcuts are window-wide, so they work whatever has focus; a text box the user typed into keeps
its own keys (Qt's shortcut override), so Space types a space there.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut

DEFAULT_SIZE = (1440, 900)
MAX_RECENT = 8
SCREEN_MARGIN = 0.96  # the window opens at most this share of the available screen


class PlaybackMixin:
    """Mixed into the main window (which provides ``video_panel`` and ``settings``)."""

    def fit_to_screen(self, size: tuple[int, int] = DEFAULT_SIZE) -> None:
        """Resize to ``size``, but never larger than the screen's available geometry."""
        screen = self.screen() if self.screen() is not None else QGuiApplication.primaryScreen()
        w, h = size
        if screen is not None:
            avail = screen.availableGeometry()
            w = min(w, int(avail.width() * SCREEN_MARGIN))
            h = min(h, int(avail.height() * SCREEN_MARGIN))
        self.resize(w, h)

    VIDEO_SHARE = 0.42  # of the window's width, until the user drags the splitter

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if not getattr(self, "_user_split", False) and hasattr(self, "splitter"):
            QTimer.singleShot(0, self._apply_split)  # once the splitter itself has its new size

    def _apply_split(self) -> None:
        if getattr(self, "_user_split", False):
            return
        total = max(1, sum(self.splitter.sizes()))
        video = int(total * self.VIDEO_SHARE)
        self.splitter.blockSignals(True)
        self.splitter.setSizes([video, total - video])
        self.splitter.blockSignals(False)

    def _on_split_moved(self, *_args) -> None:
        self._user_split = True

    def active_player(self):
        """What the player keys drive: the Analysis tab's video, or both videos of Compare when
        that tab is shown (never the hidden player); None on History."""
        records = getattr(self, "records", None)
        view = records.current_view() if records is not None else "result"
        if view == "compare":
            return records.compare_view
        return self.video_panel if view == "result" else None

    def _player_key(self, action: str, *args) -> None:
        player = self.active_player()
        if player is not None:
            getattr(player, action)(*args)

    def _zoom_key(self, action: str, *args) -> None:
        if self.active_player() is self.video_panel:
            getattr(self.video_panel.view, action)(*args)

    def _make_shortcuts(self) -> None:
        self.shortcuts = {}
        keys = (("Space", self._player_key, ("toggle_play",)), ("Left", self._player_key, ("step", -1)),
                ("Right", self._player_key, ("step", 1)), ("Shift+Left", self._player_key, ("step", -10)),
                ("Shift+Right", self._player_key, ("step", 10)), ("Home", self._player_key, ("go_first",)),
                ("End", self._player_key, ("go_last",)), ("[", self._player_key, ("change_speed", -1)),
                ("]", self._player_key, ("change_speed", 1)),
                ("+", self._zoom_key, ("zoom_by", 1.25)), ("=", self._zoom_key, ("zoom_by", 1.25)),
                ("-", self._zoom_key, ("zoom_by", 0.8)), ("0", self._zoom_key, ("reset_zoom",)))
        for key, slot, args in keys:
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(lambda slot=slot, args=args: slot(*args))
            self.shortcuts[key] = sc

    def _on_live_stopped(self) -> None:
        self.record_btn.setText("Record from camera")
        QTimer.singleShot(0, self._back_to_clip)  # after a saved recording has been opened, if any

    def _back_to_clip(self) -> None:
        """Nothing was recorded (no camera, or stopped before the countdown ended): show the clip
        (and its result, which stays) again."""
        if self.video_path and self.video_panel.info is None and not self.video_panel.is_live():
            self.video_panel.open_file(self.video_path)

    # ---- recent files ----------------------------------------------------------------------
    def _add_recent_menu(self, menu) -> None:
        self.recent_menu = menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files
        for path in files:
            act = QAction(Path(path).name, self.recent_menu)
            act.setToolTip(path)
            act.setEnabled(Path(path).is_file())
            act.triggered.connect(lambda _=False, p=path: self.request_open(p))
            self.recent_menu.addAction(act)
        if not files:
            empty = self.recent_menu.addAction("(none yet)")
            empty.setEnabled(False)

    def remember_recent(self, path: str) -> None:
        self.settings.add_recent(str(path), MAX_RECENT)
