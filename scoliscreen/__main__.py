from scoliscreen.cli import main

raise SystemExit(main())
