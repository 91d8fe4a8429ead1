"""Compile once: artifacts by content, so every test case and every repeated sample runs one build.

An artifact (or the compiler's message, for a program that does not compile) is a function of the
language, the toolchain's version, the flags and the source (NativeLanguage.cache_key). It is kept in
memory (the last MEMORY_BYTES of them) and on disk under CODEREWARD_ARTIFACTS (default
~/.cache/codereward/artifacts; "off" keeps none), so that a new process, a GRPO group's duplicate samples
and a rerun do not compile again. Two threads asking for the same key compile it once.

The disk cache is this user's own: an artifact is only ever written there by this module, from a
compile sandbox's output, under its key (written whole, then renamed into place).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InfraError
from ..sandbox.compile import TOOL_PATH, compile_program

if TYPE_CHECKING:
    from .native import NativeLanguage

MEMORY_BYTES = 256 * 1024 * 1024
_ERROR_SUFFIX = ".error"


@dataclass(frozen=True)
class Built:
    artifact: bytes  # empty when the program does not compile
    error: str | None  # the compiler's message when it does not
    cached: bool = False
    seconds: float = 0.0  # compile time (0 when cached)


class ArtifactCache:
    def __init__(self, root: str | None) -> None:
        self.root = Path(root) if root else None
        self._memory: OrderedDict[str, Built] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self._build_caches: dict[str, str] = {}
        self.compiles = 0  # compilations run by this process (the benchmarks and tests read it)
        self.isolation = "bwrap"  # the compile sandbox's isolation ("none" only for trusted code)

    def _remember(self, key: str, built: Built) -> None:
        with self._lock:
            if key in self._memory:
                return
            self._memory[key] = built
            self._bytes += len(built.artifact)
            while self._bytes > MEMORY_BYTES and len(self._memory) > 1:
                _, old = self._memory.popitem(last=False)
                self._bytes -= len(old.artifact)

    def _from_disk(self, key: str) -> Built | None:
        if self.root is None:
            return None
        path = self.root / key[:2] / key
        try:
            if path.exists():
                return Built(path.read_bytes(), None, cached=True)
            error = path.with_name(key + _ERROR_SUFFIX)
            if error.exists():
                return Built(b"", error.read_text(encoding="utf-8", errors="replace"), cached=True)
        except OSError:
            return None
        return None

    def _to_disk(self, key: str, built: Built) -> None:
        if self.root is None:
            return
        folder = self.root / key[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / (key if built.error is None else key + _ERROR_SUFFIX)
            part = folder / f".{key}.{os.getpid()}.{threading.get_ident()}"
            part.write_bytes(built.artifact if built.error is None else built.error.encode())
            os.replace(part, final)
        except OSError:
            pass  # a cache that cannot be written only costs compiles

    def build(self, language: NativeLanguage, program: str, files: Mapping[str, str] | None = None) -> Built:
        key = language.cache_key(program, files)
        with self._lock:
            hit = self._memory.get(key)
            if hit is not None:
                self._memory.move_to_end(key)
                return Built(hit.artifact, hit.error, cached=True)
            gate = self._building.setdefault(key, threading.Lock())
        with gate:  # one compile per key; the others wait for it and find it remembered
            with self._lock:
                hit = self._memory.get(key)
            if hit is not None:
                return Built(hit.artifact, hit.error, cached=True)
            built = self._from_disk(key)
            if built is None:
                built = self._compile(language, program, files or {})
                self._to_disk(key, built)
            self._remember(key, built)
        with self._lock:
            self._building.pop(key, None)
        return built

    def _build_cache(self, language: NativeLanguage) -> str | None:
        """The host directory of the language's own build cache (NativeLanguage.build_cache), made once: beside
        the artifacts, or in this process's temporary directory when they are not kept on disk. Only the
        compiler writes there; what a compile caches is keyed by its inputs (Go's GOCACHE is made for
        concurrent builds)."""
        if not language.build_cache:
            return None
        with self._lock:
            if language.build_cache not in self._build_caches:
                base = self.root.parent if self.root is not None else Path(tempfile.mkdtemp(prefix="codereward-"))
                path = base / language.build_cache
                path.mkdir(parents=True, exist_ok=True)
                os.chmod(path, 0o755)
                self._build_caches[language.build_cache] = str(path)
            return self._build_caches[language.build_cache]

    def _compile(self, language: NativeLanguage, program: str, files: Mapping[str, str]) -> Built:
        if language.runtime() is None:
            raise InfraError(f"{language.title} is not installed here (no {language.tool!r} on PATH): "
                             f"scripts/setup.sh installs it with CODEREWARD_LANGUAGES={language.name}")
        source = language.source.format(cls=language.main_class(program))
        data = program.encode("utf-8", "surrogatepass")
        if not language.compile:  # nothing to build: the source is the artifact
            return Built(data, None)
        argv = [a.format(src=source, cls=source.rsplit(".", 1)[0]) for a in language.compile]
        # The real path: /usr/bin/javac is a link through /etc/alternatives, which the sandbox does not see.
        argv[0] = os.path.realpath(shutil.which(argv[0], path=TOOL_PATH) or argv[0])
        extra = {name: text.encode("utf-8", "surrogatepass") for name, text in files.items()}
        result = compile_program(argv, {**extra, source: data}, isolation=self.isolation, etc=language.etc,
                                 env=dict(language.compile_env), build_cache=self._build_cache(language))
        self.compiles += 1
        try:
            if not result.ok:
                return Built(b"", result.message.strip() or "compilation failed", seconds=result.seconds)
            output = os.path.join(result.workdir, language.output) if language.output else ""
            if not output:
                return Built(data, None, seconds=result.seconds)
            if os.path.isdir(output):
                from .native import zip_dir

                return Built(zip_dir(output), None, seconds=result.seconds)
            try:
                with open(output, "rb") as f:
                    return Built(f.read(), None, seconds=result.seconds)
            except OSError as e:
                raise InfraError(f"the compiler succeeded but wrote no {language.output}: {e}") from None
        finally:
            shutil.rmtree(result.workdir, ignore_errors=True)


def _default_root() -> str | None:
    configured = os.environ.get("CODEREWARD_ARTIFACTS")
    if configured is not None:
        return None if configured.lower() in ("", "off", "none") else configured
    return os.path.join(os.path.expanduser("~"), ".cache", "codereward", "artifacts")


CACHE = ArtifactCache(_default_root())


def build(language: NativeLanguage, program: str, files: Mapping[str, str] | None = None) -> Built:
    """The program's artifact, or the compiler's message (cached: see the module's docstring); `files`:
    more files beside the source (headers it includes)."""
    return CACHE.build(language, program, files)
