from helpers.grading.cli import main

raise SystemExit(main())
