"""`python -m bot.cli`: the `pmsbot` command."""

import sys

from bot.cli.main import main

sys.exit(main())
