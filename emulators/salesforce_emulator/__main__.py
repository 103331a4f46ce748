"""``python -m salesforce_emulator serve …`` (same as the console script)."""

import sys

from .cli import main

sys.exit(main())
