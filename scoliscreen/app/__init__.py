"""The application layer (use cases shared by the CLI and the GUI)."""
