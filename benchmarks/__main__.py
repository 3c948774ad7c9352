"""`python -m benchmarks`: the invoke benchmark (see benchmarks/invoke.py for the options)."""

import sys

from benchmarks.invoke import main

sys.exit(main())
