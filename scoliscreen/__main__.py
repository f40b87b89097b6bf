import multiprocessing

from scoliscreen.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the simulator's process pool inside a PyInstaller bundle
    raise SystemExit(main())
