"""Keyboard and screen-reader access for the main window (issue 24 A.9).

* shortcuts for the working day (New patient, Open, Analyse, Save, Export report, the tabs,
  Esc to cancel a line/angle, Delete to remove a measurement), listed in Help → Keyboard
  shortcuts from one table (:data:`SHORTCUTS`);
* :class:`KeyRouter`: a focused control keeps the keys it needs (Space presses a button,
  arrows move in a list, a table, a slider or a drop-down, Return presses a button) instead of
  the window-wide player keys, so every control works from the keyboard;
* every interactive widget has an accessible name and takes focus (:func:`name_widgets`,
  checked by :func:`missing_accessibility`), and Tab runs through the Analysis tab in reading
  order, never stuck in the notes box.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from scoliscreen.gui.frame_view import FrameView
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QApplication,
    QComboBox, QGraphicsView, QHeaderView, QLabel, QLineEdit, QMenu, QMenuBar, QPlainTextEdit, QPushButton,
    QScrollBar, QTabBar, QTextEdit, QWidget,
)

# (keys, what they do): the Help menu's list; the player keys are the PlaybackMixin's
SHORTCUTS = (
    ("Ctrl+N", "New patient"),
    ("Ctrl+O", "Open a video"),
    ("F5", "Analyse the video"),
    ("Ctrl+S", "Save (the button says whose record it writes)"),
    ("Ctrl+E", "Export the report of the visit shown"),
    ("Ctrl+1 / Ctrl+2 / Ctrl+3", "Analysis / History / Compare tab"),
    ("Space", "Play / pause (in Compare: both videos)"),
    ("← / →, Shift+← / →", "One frame back / on, ten frames"),
    ("Home / End", "First / last frame"),
    ("[ / ]", "Slower / faster"),
    ("+ / - / 0", "Zoom in / out / fit"),
    ("Esc", "Cancel the line or angle being drawn"),
    ("Delete", "Delete the highlighted measurement of the frame"),
    ("Tab / Shift+Tab", "Next / previous control (also out of the notes box)"),
    ("F1", "This list"),
)

INTERACTIVE = (QAbstractButton, QAbstractSlider, QComboBox, QLineEdit, QAbstractSpinBox, QTextEdit,
               QPlainTextEdit, QAbstractItemView, QTabBar, QGraphicsView, FrameView)
_ACTIVATE = (Qt.Key.Key_Space,)
_MOVE = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Home, Qt.Key.Key_End,
         Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)


def _part_of_another(widget: QWidget) -> bool:
    """A scroll bar, header, a drop-down's list, a spin box's editor, a text box's clear button, a
    table's corner button, the menu bar's overflow arrow: reached through their owner."""
    if isinstance(widget, (QScrollBar, QHeaderView, QMenu, QMenuBar)):
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QComboBox, QAbstractSpinBox, QTabBar, QLineEdit, QAbstractItemView, QMenuBar)):
            return True
        parent = parent.parentWidget()
    return False


def interactive_widgets(root: QWidget) -> list[QWidget]:
    """The controls a user works with under ``root`` (composite parts left out)."""
    return [w for w in root.findChildren(QWidget) if isinstance(w, INTERACTIVE) and not _part_of_another(w)]


def missing_accessibility(root: QWidget) -> list[str]:
    """Controls under ``root`` without an accessible name (as assistive technology reads it
    through QAccessible) or that never take focus; [] when every one is named and reachable."""
    from PySide6.QtGui import QAccessible

    problems = []
    for w in interactive_widgets(root):
        iface = QAccessible.queryAccessibleInterface(w)
        name = iface.text(QAccessible.Text.Name) if iface is not None else ""
        what = f"{type(w).__name__} {w.objectName() or w.toolTip() or ''}".strip()
        if not (name or "").strip() or not w.accessibleName().strip():
            problems.append(f"{what}: no accessible name")
        if w.focusPolicy() == Qt.FocusPolicy.NoFocus:
            problems.append(f"{what} ({name}): takes no focus")
    return problems


def name(widget: QWidget, text: str, description: str = "") -> None:
    widget.setAccessibleName(text)
    if description:
        widget.setAccessibleDescription(description)
    if widget.focusPolicy() in (Qt.FocusPolicy.NoFocus, Qt.FocusPolicy.ClickFocus):
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


def name_widgets(root: QWidget) -> None:
    """Give a control without an accessible name one from what it shows (its tooltip for an
    icon button, its placeholder for a text box), and focus to every control under ``root``."""
    for w in interactive_widgets(root):
        if not w.accessibleName():
            text = w.text() if isinstance(w, (QAbstractButton, QLineEdit)) else ""
            text = (text or "").replace("&", "") or w.toolTip().split("(")[0].strip()
            if not text and isinstance(w, (QLineEdit, QPlainTextEdit, QTextEdit)):
                text = w.placeholderText()
            if text:
                w.setAccessibleName(text)
        if w.focusPolicy() == Qt.FocusPolicy.NoFocus:
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        if isinstance(w, QAbstractItemView):
            w.setTabKeyNavigation(False)  # Tab leaves a table (arrows move inside it)


class KeyRouter(QObject):
    """Installed on the application while ``window`` lives: a focused control inside it keeps the
    keys it uses (the window-wide player shortcuts step aside), and Return presses a button."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window

    def _wants(self, widget: QWidget, key: int) -> bool:
        if isinstance(widget, QAbstractButton):
            return key in _ACTIVATE
        if isinstance(widget, (QAbstractItemView, QAbstractSlider, QTabBar)):
            return key in _MOVE or (key in _ACTIVATE and isinstance(widget, QAbstractItemView))
        if isinstance(widget, (QComboBox, QAbstractSpinBox)):
            return key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Space, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)
        return False

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        if not isinstance(obj, QWidget) or obj is not QApplication.focusWidget() or obj.window() is not self.window:
            return False
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods not in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
            return False
        key = event.key()
        if kind == QEvent.Type.ShortcutOverride:
            if mods == Qt.KeyboardModifier.NoModifier and self._wants(obj, key):
                event.accept()  # the control gets the key, not the player shortcut
            return False
        if (isinstance(obj, QPushButton) and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and mods == Qt.KeyboardModifier.NoModifier and obj.isEnabled()):
            obj.animateClick()
            return True
        return False


def install_keyboard(window) -> KeyRouter:
    """Shortcuts, Help → Keyboard shortcuts, tab order, accessible names and the key router for
    the main window (after its records part is installed)."""
    records = window.records
    bar = window.menuBar()
    menus = {a.text(): a.menu() for a in bar.actions()}
    file_menu = menus["&File"]
    actions = {a.text(): a for a in file_menu.actions()}
    new_patient = QAction("&New patient…", window)
    new_patient.setShortcut(QKeySequence("Ctrl+N"))
    new_patient.triggered.connect(window.create_patient)
    file_menu.insertAction(file_menu.actions()[0], new_patient)
    analyse = QAction("&Analyse", window)
    analyse.setShortcut(QKeySequence("F5"))
    analyse.triggered.connect(window.start_analysis)
    file_menu.insertAction(actions["&Record from camera"], analyse)
    records.export_action.setShortcut(QKeySequence("Ctrl+E"))
    for i, act in enumerate(menus["&Records"].actions()):
        act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
    measure = menus["&Records"]
    measure.addSeparator()
    for text, key, slot in (("Cancel &measuring", "Esc", records.cancel_tool),
                            ("&Delete measurement", "Delete", records.delete_selected_measurement)):
        act = QAction(text, window)
        act.setShortcut(QKeySequence(key))
        # the measuring tools live on the Analysis tab: the keys do nothing on History or Compare
        act.triggered.connect(lambda _c=False, slot=slot: slot() if records.current_view() == "result" else None)
        measure.addAction(act)
    keys = QAction("&Keyboard shortcuts…", window)
    keys.setShortcut(QKeySequence("F1"))
    keys.triggered.connect(lambda: window.show_message("info", "Keyboard shortcuts", shortcuts_text()))
    menus["&Help"].insertAction(menus["&Help"].actions()[0] if menus["&Help"].actions() else None, keys)
    window.keyboard_actions = {"new_patient": new_patient, "analyse": analyse, "shortcuts": keys}

    window.notes.setTabChangesFocus(True)  # Tab leaves the notes box
    _name_main(window)
    _tab_order(window)
    router = KeyRouter(window)
    QApplication.instance().installEventFilter(router)
    return router


def shortcuts_text() -> str:
    return "\n".join(f"{keys}\t{what}" for keys, what in SHORTCUTS)


def _name_main(w) -> None:
    vp, rp, pb, rec = w.video_panel, w.result_panel, w.patient_bar, w.records
    name(pb.combo, "Patient", "The child whose record the result belongs to")
    _buddy(pb, "Patient", pb.combo)
    _buddy(vp, "Speed:", vp.speed_box)
    name(w.notes, "Clinician notes", "Optional; given to the model with the clinical text. Tab leaves the box.")
    name(vp.play_btn, "Play or pause")
    name(vp.back_btn, "Previous frame")
    name(vp.fwd_btn, "Next frame")
    name(vp.slider, "Video position")
    name(vp.speed_box, "Playback speed")
    name(vp.view, "Video frame", "Click a person to follow them; + and - zoom")
    name(rp.card_btn, "Model card")
    name(rp.text, "Clinical description")
    name(rp.map_view.glw, "Kinematic knowledge map", "Click a moment to show it in the video")
    for label, text in ((rp.verdict, "Screening verdict"), (rp.probability, "Verdict reason"),
                        (rp.cobb, "Cobb estimate")):
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                      | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        name(label, text)
        label.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    name(rec.tabs.tabBar(), "Views: Analysis, History, Compare")
    name_widgets(w)


def _buddy(root: QWidget, text: str, widget: QWidget) -> None:
    """The label showing ``text`` names ``widget`` for screen readers (Linux reads a drop-down's
    name from its label)."""
    for label in root.findChildren(QLabel):
        if label.text().replace("<b>", "").replace("</b>", "") == text:
            label.setBuddy(widget)
            return


def name_history(h) -> None:
    name(h.search, "Search patients")
    name(h.patients, "Patients")
    name(h.table, "Visits of the patient", "Date and time, age, verdict, probability, Cobb estimate, video, notes")
    name(h.trend, "Trend over age")
    name_widgets(h)


def name_compare(c) -> None:
    name(c.play_btn, "Play or pause both videos")
    name(c.back_btn, "Previous frame of both videos")
    name(c.fwd_btn, "Next frame of both videos")
    name(c.slider, "Position of both videos")
    name(c.speed_box, "Playback speed of both videos")
    name(c.table, "Comparison of the two visits")
    for side, player in (("Earlier", c.a), ("Later", c.b)):
        name(player.view, f"{side} visit video")
        name(player.map_view.glw, f"{side} visit knowledge map")
    name_widgets(c)


def _tab_order(w) -> None:
    """Tab through the Analysis tab in reading order: patient, file and analysis controls, notes,
    Save, the player, the measuring tools, then the result (verdict, Model card, map, text)."""
    vp, rp, mb = w.video_panel, w.result_panel, w.records.measure_bar
    chain = [w.patient_bar.combo, w.patient_bar.new_btn, w.open_btn, w.record_btn, w.analyse_btn, w.cancel_btn,
             w.notes, w.save_btn, vp.back_btn, vp.play_btn, vp.fwd_btn, vp.slider, vp.skeleton_box,
             vp.confidence_box, vp.speed_box, mb.line_btn, mb.angle_btn, mb.delete_btn, vp.view,
             rp.verdict, rp.probability, rp.cobb, rp.card_btn, rp.map_view.glw, rp.text]
    for a, b in zip(chain, chain[1:]):
        QWidget.setTabOrder(a, b)
