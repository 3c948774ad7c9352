"""`python -m benchmarks`: the invoke benchmark; `python -m benchmarks classroom`: sizing;
`python -m benchmarks isolation`: the sandbox's cost at each isolation level.

See benchmarks/invoke.py, benchmarks/classroom.py and benchmarks/isolation.py for their options.
"""

import sys

if sys.argv[1:2] == ["classroom"]:
    from benchmarks.classroom import main

    sys.exit(main(sys.argv[2:]))
if sys.argv[1:2] == ["isolation"]:
    from benchmarks.isolation import main

    sys.exit(main(sys.argv[2:]))
from benchmarks.invoke import main

sys.exit(main())
