"""`python -m bot` is `karat-bot`."""

import sys

from bot.cli import main

sys.exit(main())
