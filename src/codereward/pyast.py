"""`ast.parse` that many threads may call at once.

CPython's AST constructor (ast2obj) keeps its recursion depth in interpreter-wide state. When a parse in one
thread triggers garbage collection, a finaliser can run Python code and switch threads; a parse in another
thread then moves the same counter and the first parse fails with `SystemError: AST constructor recursion
depth mismatch` (CPython gh-106905; seen on 3.11). The engine parses programs in the server's request
threads and the pool's threads, so a perfectly good sample came back as `error`. Every host-side parse goes
through this lock; a parse is ~0.1-1 ms, far below an execution, so serialising them costs no throughput.

The sandboxed judge and candidate are single-threaded and parse on their own.

The code parsed here is the candidates' (and generated tests'): its SyntaxWarnings and DeprecationWarnings
(an invalid escape in a model-written string) are the model's business, not the user's, so they are not
printed.
"""

from __future__ import annotations

import ast
import threading
import warnings

_lock = threading.Lock()


def parse(source: str) -> ast.Module:
    """`ast.parse(source)`, serialised with every other caller; raises what ast.parse raises."""
    with _lock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)
