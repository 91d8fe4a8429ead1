"""Get the program out of a model's completion: plain text, a chat message list, or an OpenRLHF query.

`response_text` cuts the response out of an OpenRLHF query (prompt and response decoded together); the
OpenRLHF reward file and the server's /get_reward both use it, so one answer scores the same through either.

Rules for `extract_code`, in order:
1. Chat messages (TRL's conversational format, `[{"role": "assistant", "content": ...}]`): the content of
   the last `assistant` message (the last message when none has that role). Content given as a list of
   parts (`[{"type": "text", "text": ...}]`) is joined.
2. Reasoning is removed: everything up to and including the last `</think>` (reasoning models whose chat
   template opens `<think>` in the prompt emit only the closing tag), then an unterminated `<think>` and
   everything after it (a generation cut off while still reasoning has not answered).
3. The last fenced block whose info string starts with `python`, `py`, `python3`, `py3` or is empty
   (case-insensitive) is the program (for an SQL task: `sql`, `sqlite` or empty; for C++ `cpp`, `c++`,
   `cc`...; Java `java`; JavaScript `javascript`, `js`; C `c`: _TAGS). A fence is three or
   more backticks, anywhere on a line ("Here: ```python"); the block ends at the next run of as many
   backticks. A final block whose closing fence is
   missing (generation cut at max length) runs to the end.
   Blocks in other languages (```text, ```bash, ```json, ...) are skipped; if the text has fences but none of
   them qualifies, the program is empty (it then fails its tests; it is not an infrastructure error).
4. Text without any fence is taken whole: a completion that is bare code runs as it is.

Why the *last* block and not the longest: open-r1 (`extract_code`), verl's prime_code
(`split("```python")[-1]`) and DeepCoder/rLLM (`code_blocks[-1]`) all take the last one, so a dataset scores
the same here as in those graders; models typically show example input or a draft first and the final
answer last, while the longest block is often a draft with tests attached.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"
_PYTHON_TAGS = frozenset({"", "python", "py", "python3", "py3"})
# The info strings of a program's blocks, by the task's language: an SQL answer is the last ```sql block
# (PaVeRL-SQL's and most text-to-SQL RL rewards' rule) or an unlabelled one.
# Compiled languages: the info strings models and Markdown renderers use for them (linguist's aliases).
_TAGS = {"python": _PYTHON_TAGS, "sql": frozenset({"", "sql", "sqlite"}),
         "c": frozenset({"", "c", "h"}),
         "cpp17": frozenset({"", "cpp", "c++", "cc", "cxx", "hpp", "cpp17", "c++17"}),
         "cpp20": frozenset({"", "cpp", "c++", "cc", "cxx", "hpp", "cpp20", "c++20"}),
         "java": frozenset({"", "java"}),
         "go": frozenset({"", "go", "golang"}),
         "rust": frozenset({"", "rust", "rs"}),
         "pypy": _PYTHON_TAGS | {"pypy", "pypy3"},
         "javascript": frozenset({"", "javascript", "js", "node", "nodejs", "mjs", "cjs"})}
CODE_LANGUAGES = tuple(_TAGS)
# An opening fence: three or more backticks, an info string, a newline. Like open-r1's and prime_code's
# readers, fences are found anywhere (models write "Here it is: ```python"), not only at line starts; the
# closing fence is the next run of at least as many backticks.
_FENCE = re.compile(r"(`{3,})[ \t]*([^\n`]*)\n")
# Chat-template control tokens left in OpenRLHF queries (decoded with skip_special_tokens=False): <|im_end|>,
# <|eot_id|>, <|endoftext|>, </s>, <｜end▁of▁sentence｜> and the like, at either end of the response.
_SPECIAL = r"(?:<\|[^<>|]{1,40}\|>|<｜[^<>｜]{1,40}｜>|</?s>|<eos>|<pad>)"
_EDGE_SPECIALS = re.compile(rf"^(?:\s*{_SPECIAL})+|(?:{_SPECIAL}\s*)+$")


def response_text(query: str, prompt: str | None) -> str:
    """The response part of an OpenRLHF query: what follows the prompt, control tokens at its ends removed.

    The prompt is searched for, not assumed to be a prefix: decoding may add a BOS token before it. The
    first occurrence is the prompt (a response may quote it). When it is not found (the tokenizer did not
    round-trip it) or not given, the whole query is used. The control tokens must go: the query ends in the
    chat template's EOS (`<|im_end|>`...), which would make an unfenced answer, or one whose last fence is
    left open, a SyntaxError.
    """
    at = query.find(prompt) if prompt else -1
    response = query[at + len(prompt):] if prompt and at != -1 else query
    return _EDGE_SPECIALS.sub("", response)


def completion_text(completion: str | Sequence[Mapping[str, Any]]) -> str:
    """The text of a completion: itself, or the last assistant message's content (rule 1)."""
    if isinstance(completion, str):
        return completion
    messages = list(completion)
    if not messages:
        return ""
    chosen = next((m for m in reversed(messages) if isinstance(m, Mapping) and m.get("role") == "assistant"),
                  messages[-1])
    if not isinstance(chosen, Mapping):
        raise TypeError(f"a chat message must be a dict, got {type(chosen).__name__}")
    content = chosen.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for part in content:  # OpenAI-style content parts
        if isinstance(part, Mapping) and isinstance(part.get("text"), str):
            parts.append(part["text"])
        elif isinstance(part, str):
            parts.append(part)
    return "".join(parts)


def strip_reasoning(text: str) -> str:
    """Rule 2: drop everything through the last `</think>`, then an unterminated `<think>` and what follows."""
    close = text.rfind(_THINK_CLOSE)
    if close != -1:
        text = text[close + len(_THINK_CLOSE):]
    open_ = text.find(_THINK_OPEN)
    if open_ != -1:
        text = text[:open_]
    return text


def _blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of each fenced block in order; an unclosed last block runs to the end."""
    blocks = []
    pos = 0
    while (m := _FENCE.search(text, pos)) is not None:
        close = text.find(m.group(1), m.end())
        if close == -1:
            blocks.append((m.group(2).strip(), text[m.end():]))
            break
        blocks.append((m.group(2).strip(), text[m.end():close]))
        pos = close + len(m.group(1))
        while pos < len(text) and text[pos] == "`":  # a longer closing run belongs to this fence
            pos += 1
    return blocks


def extract_code(completion: str | Sequence[Mapping[str, Any]], language: str = "python") -> str:
    """The program in a completion, by the rules in this module's docstring; `language`: the task's (for
    "sql", blocks tagged sql or sqlite count instead of Python's; for "cpp17", cpp or c++; ...)."""
    text = strip_reasoning(completion_text(completion))
    blocks = _blocks(text)
    if not blocks:
        return text
    tags = _TAGS.get(language, _PYTHON_TAGS)
    for info, body in reversed(blocks):
        # The info string's first word is the language (```python title="x.py" is still Python).
        words = info.split()
        if (words[0].lower() if words else "") in tags:
            return body
    return ""
