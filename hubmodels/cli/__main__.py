"""`python -m hubmodels.cli`: the `hubmodels` command."""

import sys

from hubmodels.cli.main import main

sys.exit(main())
