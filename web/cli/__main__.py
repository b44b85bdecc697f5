"""`python -m web.cli`: the `wastematch` command."""

import sys

from web.cli import main

sys.exit(main())
