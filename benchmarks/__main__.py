"""`python -m benchmarks`: the invoke benchmark; `python -m benchmarks classroom`: sizing.

See benchmarks/invoke.py and benchmarks/classroom.py for their options.
"""

import sys

if sys.argv[1:2] == ["classroom"]:
    from benchmarks.classroom import main

    sys.exit(main(sys.argv[2:]))
from benchmarks.invoke import main

sys.exit(main())
