"""Imported by the local batch pool's multiprocessing forkserver (``set_forkserver_preload``):
the forkserver dies with the batch coordinator that started it (see :mod:`.lifeline`). Importing
it anywhere else does nothing unless ``SCOLISCREEN_LIFELINE_PID`` names that process's parent."""

from scoliscreen.app.lifeline import arm_from_env

ARMED = arm_from_env()
