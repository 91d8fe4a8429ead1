"""Python: programs are compiled on the host and sent to the sandbox as code objects.

Why compile on the host: in a freshly forked candidate compiling costs ~0.3 ms, mostly copy-on-write
faults on the compiler's memory, and it is on every execution's critical path; the host compiles warm
while the sandbox hands the execution out (backends/local.py), and loading the code object costs a
fraction of compiling it. The host never runs the code (it already parses every program for the static
audit). Code objects and marshal's format belong to one interpreter release: the sandbox runs the host's
own interpreter (sandbox/bwrap.py).
"""

from __future__ import annotations

import marshal
import warnings
from dataclasses import dataclass

from ..sandboxed.plan import PROGRAM_CODE, PROGRAM_SOURCE, compile_exec, compile_failure
from . import PreparedProgram

# A candidate's SyntaxWarnings ("is" with a literal, invalid escapes) are its own business: compiled on the
# host, they would otherwise print on the user's stderr once per program (a mutation run makes hundreds).
warnings.filterwarnings("ignore", category=SyntaxWarning, module="<candidate>")


@dataclass(frozen=True, slots=True)
class Python:
    name: str = "python"
    profile: str = "python"
    audited: bool = True

    def prepare(self, program: str) -> PreparedProgram:
        """Its code object, marshalled (PROGRAM_CODE), or its source as UTF-8 (PROGRAM_SOURCE) when it does
        not compile, so that the candidate meets the error and reports it.

        `compile_error` is set only for a SyntaxError, which is the same on the host as in the sandbox: both
        run one interpreter and compile with the same flags. A RecursionError or MemoryError depends on the
        process that meets it, so those programs are left to the sandbox."""
        try:
            return PreparedProgram(PROGRAM_CODE + marshal.dumps(compile_exec(program, "<candidate>")), None)
        except SyntaxError as e:  # IndentationError and TabError included
            error: str | None = compile_failure(e)
        except Exception:  # noqa: BLE001 — RecursionError, MemoryError...: the candidate reports it
            error = None
        return PreparedProgram(PROGRAM_SOURCE + program.encode("utf-8", errors="surrogatepass"), error)


PYTHON = Python()
