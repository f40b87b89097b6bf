"""ScoliScreen: gait-video scoliosis screening (research use only - not a diagnostic device)."""

__version__ = "0.1.0"

DISCLAIMER = "Research use only — not a diagnostic device"
