"""The clinician desktop app (PySide6 widgets only; the work happens in ``scoliscreen.workers``).

Modules: ``app`` (entry points, screenshot), ``main_window``, ``video_panel`` + ``frame_view``
(player, live view, overlays), ``result_panel`` + ``knowledge_map_view`` + ``regions_view``,
``patient_bar``, ``settings``, ``style``. None imports torch, mediapipe or OpenCV at import time.
"""
