"""jieba tokenisation owned by the library: its own ``jieba.Tokenizer``, its own dictionary load, its own cache.

The module-level ``jieba.cut`` shares one dictionary with every other user in the process, and jieba's own
``initialize()`` logs to stderr and writes a cache file to the system temp folder. csqa needs neither: it
reads jieba's bundled ``dict.txt`` once per tokenizer (word, frequency and part-of-speech tag in one pass),
adds the user words the rule files name (company names, script phrases), and writes a cache only to the
folder the caller names. Part-of-speech tags come from the same dictionary, so tagging a token is a lookup
rather than a second HMM pass. The parsed dictionary is kept once per process (it is read-only; each
tokenizer copies the frequency table before adding its words), so a second scorer starts in milliseconds.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import tempfile
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["Token", "Tokenizer"]

_CACHE_FORMAT = 1


Token = tuple[str, int, int]
"""A jieba token and its character offsets in the (normalised, hence also original) text: ``(text, start, end)``."""


def _import_jieba() -> Any:
    # jieba imports pkg_resources when it is installed; setuptools ≥ 67 warns about that at import time.
    # The warning is about jieba, not about the caller's code, so it is silenced here and nowhere else.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba

    return jieba


def _dictionary_path() -> Path:
    jieba = _import_jieba()
    return Path(jieba.__file__).with_name("dict.txt")


def _read_dictionary(path: Path) -> tuple[dict[str, int], int, dict[str, str]]:
    """jieba's prefix dictionary (word → frequency, every prefix present), its total, and the POS tags."""
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    total = 0
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 2:
                continue
            word, count = parts[0], int(parts[1])
            freq[word] = count
            total += count
            if len(parts) > 2:
                tags[word] = parts[2]
            for end in range(1, len(word)):
                freq.setdefault(word[:end], 0)
    return freq, total, tags


@functools.lru_cache(maxsize=4)
def _load_dictionary(cache_dir: Path | None) -> tuple[dict[str, int], int, dict[str, str]]:
    """jieba's dictionary, parsed once per process and cache folder. Callers must not mutate the result:
    a tokenizer copies the frequency table before adding its own words."""
    path = _dictionary_path()
    if cache_dir is None:
        return _read_dictionary(path)
    stat = path.stat()
    key = hashlib.sha1(f"{_CACHE_FORMAT}:{path}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    cache = cache_dir / f"csqa-jieba-{key}.marshal"
    try:
        with cache.open("rb") as handle:
            freq, total, tags = marshal.load(handle)
        return freq, total, tags
    except (OSError, EOFError, ValueError, TypeError):
        pass
    loaded = _read_dictionary(path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".csqa-jieba-")
    try:
        with os.fdopen(fd, "wb") as handle:
            marshal.dump(loaded, handle)
        os.replace(tmp, cache)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
    return loaded


class Tokenizer:
    """A private jieba tokenizer with user words; thread-safe, picklable, built lazily on first use.

    ``user_words`` are added with a frequency that keeps each one whole (jieba's ``suggest_freq``), tagged
    ``nz``. ``cache_dir``, when given, holds a marshal cache of jieba's dictionary so the next process
    starts faster; without it nothing is written anywhere.
    """

    def __init__(self, user_words: Iterable[str] = (), *, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.user_words = tuple(sorted({w for w in user_words if w.strip()}))
        self._user_set = frozenset(self.user_words)
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self._lock = threading.Lock()
        self._jieba: Any = None
        self._tags: dict[str, str] = {}

    def __getstate__(self) -> dict[str, object]:
        return {"user_words": self.user_words, "cache_dir": self.cache_dir}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["user_words"], cache_dir=state["cache_dir"])  # type: ignore[misc]

    def _ensure(self) -> Any:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    self._jieba = self._build()
        return self._jieba

    def _build(self) -> Any:
        jieba = _import_jieba()
        freq, total, tags = _load_dictionary(self.cache_dir)
        inner = jieba.Tokenizer()
        inner.FREQ, inner.total, inner.initialized = dict(freq), total, True
        for word in self.user_words:
            inner.add_word(word, tag="nz")
        self._tags = tags  # shared and read-only; user words are looked up first (see pos)
        return inner

    def tokenize(self, text: str) -> list[Token]:
        """Tokens covering ``text`` end to end (spaces and punctuation are tokens too)."""
        return list(self._ensure().tokenize(text))

    def pos(self, word: str) -> str:
        """The part of speech jieba's dictionary gives ``word`` (``nz`` for user words, ``x`` when unknown)."""
        self._ensure()
        return "nz" if word in self._user_set else self._tags.get(word, "x")

    def warm_up(self) -> None:
        """Load the dictionary now rather than on the first call (e.g. before timing, or in a worker)."""
        self._ensure()
