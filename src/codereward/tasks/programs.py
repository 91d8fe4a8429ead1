"""The program to run for a trainer's answer to a label's task (see `codereward.tasks.labels`).

Trainers extract code from a completion (`codereward.integrations.extract_code`); `label_program` then
makes a LeetCode-style answer callable: a `call` task calls its entry point as a plain function, and such an
answer defines it as a method of `class Solution`.
"""

from __future__ import annotations

import builtins
import keyword

from codereward.tasks.model import Task

# Appended to a call task's candidate program by `label_program`. It runs in the candidate's own process
# (nothing trusted there) and only binds the name the judge calls. It avoids globals()/builtins imports so
# that the reward-hacking audit, which flags namespace reads, has nothing to report about our own lines.
_SOLUTION_SHIM = """

# codereward: a LeetCode-style `class Solution` answer is called through an instance.
try:
    {name}
except NameError:
    try:
        {name} = Solution().{name}
    except NameError:
        pass
"""
# When the entry point shares a builtin's name (`max`), the builtin must not count as the answer's function.
_SOLUTION_SHIM_BUILTIN = """

# codereward: a LeetCode-style `class Solution` answer is called through an instance.
try:
    Solution
except NameError:
    pass
else:
    if {name} is getattr(__builtins__, {name!r}, None):
        {name} = Solution().{name}
"""


def label_program(task: Task, code: str) -> str:
    """The program to run for extracted `code` against a task from `task_from_label`.

    For `call` tasks it appends a few lines binding the entry point to `Solution().<entry_point>` when the
    code defines a LeetCode-style `class Solution` and no function of that name; other code is unchanged.
    """
    name = task.entry_point
    if task.tests.kind != "call" or not name or not name.isidentifier() or keyword.iskeyword(name):
        return code
    shim = _SOLUTION_SHIM_BUILTIN if hasattr(builtins, name) else _SOLUTION_SHIM
    return code + shim.format(name=name)
