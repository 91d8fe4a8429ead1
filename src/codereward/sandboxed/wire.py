"""The only data format that crosses a process boundary: plain values, framed.

DESIGN.md rule 2: a value crosses only if its type is *exactly* one of None, bool, int, float, str, bytes,
list, tuple, dict, set, frozenset (subclasses are rejected), within caps on size and depth. The encoder
checks `type(v) is T`, never `isinstance`, so a `class Sneaky(int)` with a rigged `__eq__` cannot cross.
numpy's scalars (np.float64, np.int64, np.bool) cross as the plain value their .item() gives.

The encoding is JSON with tags, because `json.loads` is fast, written in C, and can only ever build
dicts, lists, str, int, float, bool and None — decoding hostile bytes cannot run code (unlike pickle) or
build code objects (unlike marshal). Lists and scalars are JSON natives; every other container is a
one-key object, so a JSON object is always a tag and never ambiguous:

    {"t": [...]} tuple    {"s": [...]} set    {"f": [...]} frozenset
    {"d": [[k, v], ...]} dict (any plain keys)    {"b": "hex"} bytes
    {"i": "hex"} an int of more than BIG_INT_BITS bits (decimal conversion is quadratic; hex is linear)

Framing: 4-byte big-endian length + payload. This module is imported inside the sandbox, so it uses
the standard library only.
"""

from __future__ import annotations

import _socket
import json
import os
import struct
import sys
from typing import Any

# A candidate may legitimately return a 5,000-digit int (factorials); Python's default 4,300-digit cap on
# int<->str conversion would turn that into a spurious decode error.
sys.set_int_max_str_digits(0)

MAX_DEPTH = 100
MAX_ITEMS = 20_000_000  # containers + elements in one value (HumanEval+ has million-element outputs)
MAX_FRAME = 256 * 1024 * 1024  # bytes in one frame from an untrusted peer
TRUSTED_FRAME = (1 << 31) - 1  # bytes in one frame the host wrote (a program, a task's tests)
BIG_INT_BITS = 4096
_SCALARS = frozenset({int, float, str, bool, type(None)})
# numpy's scalar types whose .item() is a plain Python value (np.mean gives np.float64, comparisons np.bool):
# an honest program returns them, and every harness compares them by value. They cross as that value.
# Named, not imported: this module must not load numpy into every candidate. A class that merely claims the
# name can only hand over a plain value of its choosing, which it could return directly anyway.
_NUMPY_SCALARS = frozenset({"bool", "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                            "uint64", "longlong", "ulonglong", "float16", "float32", "float64", "str_", "bytes_"})

_HEADER = struct.Struct(">I")


class WireError(ValueError):
    """A value cannot cross the boundary (wrong type, too deep, too big) or bytes do not decode."""


def _is_int(v: object) -> bool:
    return type(v) is int


def to_plain(value: object, _depth: int = 0, _budget: list[int] | None = None) -> object:
    """Map a plain value to its JSON-able tagged form, rejecting anything that is not exactly plain."""
    budget = _budget if _budget is not None else [MAX_ITEMS]
    budget[0] -= 1
    if budget[0] < 0:
        raise WireError(f"value has more than {MAX_ITEMS} elements")
    if _depth > MAX_DEPTH:
        raise WireError(f"value is nested deeper than {MAX_DEPTH}")
    t = type(value)
    # Each branch below is taken on the exact type `t` (never isinstance, which would let a subclass with a
    # rigged method through); mypy cannot narrow `value` through `t`, and calling type() again in every test
    # would cost this hot path, so the branches use `plain`, the same object, unchecked.
    plain: Any = value
    if t is int:
        if plain.bit_length() > BIG_INT_BITS:
            return {"i": format(plain, "x")}
        return value
    if value is None or t is bool or t is str or t is float:
        return value
    d = _depth + 1
    if t is list:
        # Fast path for flat lists of scalars (the common large return value, and every reply's envelope):
        # one C-level pass over the element types instead of a Python call per element.
        if len(plain) > 2:
            types = set(map(type, plain))
            if types <= _SCALARS and (int not in types or max(map(abs, filter(_is_int, plain))).bit_length()
                                      <= BIG_INT_BITS):
                budget[0] -= len(plain)
                if budget[0] < 0:
                    raise WireError(f"value has more than {MAX_ITEMS} elements")
                return value
        return [to_plain(v, d, budget) for v in plain]
    if t is tuple:
        return {"t": [to_plain(v, d, budget) for v in plain]}
    if t is dict:
        return {"d": [[to_plain(k, d, budget), to_plain(v, d, budget)] for k, v in plain.items()]}
    if t is set:
        return {"s": [to_plain(v, d, budget) for v in plain]}
    if t is frozenset:
        return {"f": [to_plain(v, d, budget) for v in plain]}
    if t is bytes:
        return {"b": plain.hex()}
    if t.__module__ == "numpy" and t.__name__ in _NUMPY_SCALARS:
        item = plain.item()
        if type(item) in (bool, int, float, str, bytes):  # exactly: anything else is refused below
            return to_plain(item, d, budget)
    raise WireError(f"unserializable value of type {t.__module__}.{t.__qualname__}")


def _untag(obj: dict[str, object]) -> object:
    if len(obj) != 1:
        raise WireError("malformed tagged value")
    (tag, body), = obj.items()
    if tag == "b":
        if type(body) is not str:
            raise WireError("malformed bytes")
        return bytes.fromhex(body)
    if tag == "i":
        if type(body) is not str:
            raise WireError("malformed int")
        return int(body, 16)
    if type(body) is not list:
        raise WireError("malformed tagged value")
    if tag == "t":
        return tuple(body)
    if tag == "s":
        return set(body)
    if tag == "f":
        return frozenset(body)
    if tag == "d":
        out: dict[object, object] = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise WireError("malformed dict entry")
            out[pair[0]] = pair[1]
        return out
    raise WireError(f"unknown tag {tag!r}")


def _hook(obj: dict[str, object]) -> object:
    try:
        return _untag(obj)
    except TypeError as e:  # unhashable set element or dict key
        raise WireError(str(e)) from None


# One encoder and one decoder for every message: json.dumps and json.loads build a new one per call when
# given options (~5 µs each here), and a loop test makes a round trip, two of each, per candidate call.
# The encoder writes ASCII only (ensure_ascii), so a peer's bytes are decoded as UTF-8: anything else is
# malformed, as json.loads's other encodings (UTF-16/32) never come from an honest peer.
_ENCODER = json.JSONEncoder(separators=(",", ":"))
_DECODER = json.JSONDecoder(object_hook=_hook)


def dumps(value: object) -> bytes:
    """Encode a plain value; raise WireError if it is not plain or too large."""
    try:
        return _ENCODER.encode(to_plain(value)).encode()
    except RecursionError:
        raise WireError("value is nested too deeply") from None


def loads(data: bytes) -> object:
    """Decode bytes from an untrusted peer into plain values; raise WireError on anything malformed."""
    if len(data) > MAX_FRAME:
        raise WireError("frame too large")
    try:
        return _DECODER.decode(data.decode("utf-8", "surrogatepass"))
    except WireError:
        raise
    except (ValueError, RecursionError, TypeError) as e:
        raise WireError(f"undecodable value: {type(e).__name__}") from None


def frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


def write_frame(fd: int, payload: bytes) -> None:
    data = memoryview(frame(payload))
    while data:
        n = os.write(fd, data)
        data = data[n:]


def read_exact(fd: int, n: int) -> bytes | None:
    """Read exactly n bytes from a blocking fd; None on EOF before n bytes."""
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, limit: int = MAX_FRAME) -> bytes | None:
    """Read one frame; None on EOF; WireError if the announced length exceeds `limit`."""
    head = read_exact(fd, 4)
    if head is None:
        return None
    (n,) = _HEADER.unpack(head)
    if n > limit:
        raise WireError(f"frame of {n} bytes exceeds the {limit}-byte limit")
    return read_exact(fd, n)


# -- unix sockets, with the C module only: `socket` builds enums of every constant (~300 KB in the zygote,
# which every fork copies the page tables of and every exit tears down) ----------------------------------

_FD = struct.Struct("i")
Socket = _socket.socket


def socketpair() -> tuple[_socket.socket, _socket.socket]:
    return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)


def send_fd(sock: _socket.socket, data: bytes, fd: int) -> None:
    """Send `data` with a copy of file descriptor `fd` attached (SCM_RIGHTS)."""
    sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, _FD.pack(fd))])


def recv_fd_frame(sock: _socket.socket) -> tuple[bytes, int | None]:
    """One frame sent with `send_fd(sock, frame(payload), fd)`, and the fd that came with its first bytes.
    A stream socket may split a long frame (an execution's `only` list of a thousand tests, say): the rest is
    read until the frame is whole. (b"", None) when the peer closed."""
    data, fd = recv_fd(sock, 65536)
    buf = bytearray(data)
    while len(buf) < _HEADER.size or len(buf) < _HEADER.size + _HEADER.unpack_from(buf)[0]:
        more = sock.recv(65536)
        if not more:
            return b"", fd
        buf += more
    return bytes(buf[_HEADER.size:]), fd


def recv_fd(sock: _socket.socket, bufsize: int) -> tuple[bytes, int | None]:
    """One message and the file descriptor attached to it (None if none came)."""
    data, ancillary, _, _ = sock.recvmsg(bufsize, _socket.CMSG_LEN(_FD.size))
    fd = None
    for level, kind, payload in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS and len(payload) >= _FD.size:
            fd = _FD.unpack_from(payload)[0]
    return data, fd
