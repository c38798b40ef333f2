"""jieba tokenisation owned by the library: its own ``jieba.Tokenizer``, its own dictionary load, its own cache.

The module-level ``jieba.cut`` shares one dictionary with every other user in the process, and jieba's own
``initialize()`` logs to stderr and writes a cache file to the system temp folder. csqa needs neither: it
reads jieba's bundled ``dict.txt`` itself (word, frequency and part-of-speech tag in one pass),
adds the user words the rule files name (company names, script phrases), and writes a cache only to the
folder the caller names (the command line names the user's cache folder; the library names none unless
asked). The cache holds the tables built from the dictionary and the user words, in a file named after a
digest of the dictionary's content, the words, the backend and csqa's version (:func:`cache_file`).
Part-of-speech tags come from the same dictionary, so tagging a token is a lookup rather than a second HMM
pass. The parsed dictionary is kept once per process, and the frequency table with
a word list's user words once per word list (jieba only reads it while cutting; for rjieba, the cutter built
from them), so a second scorer starts in milliseconds and forked worker processes share the parent's copy.

Backends. ``jieba`` is the reference. ``rjieba`` (the jieba-rs binding, ``pip install 'csqa[fast]'``)
tokenises about 27 times faster and builds as fast as jieba (about 1 s, import included). rjieba 0.2.2 cuts
two kinds of text differently from jieba: unknown runs of ASCII letters and digits joined by a symbol
(``ABC-5678``, ``8_0``, ``a-a19`` stay whole where jieba splits ``ABC`` ``-`` ``5678``), and CJK extension
characters (U+3400–4DBF, U+9FD6–9FFF, U+F900–FAFF, U+20000 and up), which it counts as Han and jieba
emits one by one. Texts holding either (:data:`_RJIEBA_DIFFERS`, a few per cent of call-centre speech:
phone and order numbers) are cut by jieba itself, over a table of just that text's substrings (see
:func:`_cut_by_jieba`); every other text goes to rjieba.
``tests/test_tokenizer_backends.py`` shows the result gives exactly jieba's tokens, offsets included, on
every utterance of the annotated and demo corpora (raw and normalised) and on seeded random texts built
from Han characters, ASCII, separators and extension characters, and so ``auto`` (the default) uses
rjieba when it is installed. To make rjieba's own tokens the same:

* Same dictionary. rjieba is built from ``rjieba.Jieba.empty()`` plus every word of jieba's own ``dict.txt``
  with its frequency (tags stay on the Python side: they serve :meth:`Tokenizer.pos`, not cutting), not from
  ``rjieba.Jieba()``: rjieba 0.2.2's built-in dictionary
  was measured (decompressed from the wheel) and is *not* byte-for-byte jieba 0.42.1's ``dict.txt``: the
  same 349,045 distinct lines, reordered and without jieba's duplicate ``B超 3 n`` line. Reusing the parsed
  file also keeps the two backends on one dictionary whatever versions are installed.
* Same user-word frequencies. They come from jieba itself: jieba's ``add_word`` runs over a table of the
  words' substrings (:func:`_user_word_frequencies`; its ``suggest_freq`` sees the words added before each
  one) and rjieba receives each frequency explicitly, so the formula cannot drift between the two.
* Same total. Every path score subtracts ``log(total)`` once per word, so the total matters. jieba adds a
  frequency to the total whenever a word is added, even a word already present (the duplicate line, a user
  word that is also a dictionary word); jieba-rs replaces the old frequency. The difference is added back as
  the frequency of the key ``" "``, which no text is ever looked up against (whitespace never reaches the
  dictionary, and no dictionary or user word is blank).

rjieba's ``tokenize`` offsets were checked to be character offsets (not bytes) on Chinese, ASCII,
punctuation and astral-plane text, so they are used as they come. Text holding a lone surrogate, which
cannot cross into Rust, is cut with each surrogate replaced by U+FFFD, which both backends emit as a
single-character token just as jieba does a surrogate, and the tokens are then read back from the original.
rjieba's module-level instance (``rjieba.cut`` …) is never used; importing rjieba does build it, once per
process (about 0.13 s and 35 MB), which is why the backend is resolved on first use, not at construction.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import marshal
import os
import re
import sys
import tempfile
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterable
from itertools import repeat
from pathlib import Path
from typing import Any, Literal

from csqa.errors import UsageError
from csqa.version import __version__

__all__ = ["BACKENDS", "Backend", "Token", "Tokenizer"]

_CACHE_FORMAT = 3

Backend = Literal["auto", "jieba", "rjieba"]
BACKENDS: tuple[str, ...] = ("auto", "jieba", "rjieba")
"""Tokenizer backends. ``auto`` is rjieba when it is installed, jieba otherwise."""

_RJIEBA_DIFFERS = re.compile(
    "[A-Za-z0-9][^A-Za-z0-9\u4E00-\u9FD5\\s]+[A-Za-z0-9]|[\u3400-\u4DBF\u9FD6-\u9FFF\uF900-\uFAFF\U00020000-\U0003FFFF]"
)
"""Where rjieba 0.2.2 may cut differently from jieba (module docstring): such texts are cut by jieba."""

_SURROGATE = re.compile("[\ud800-\udfff]")

_TOTAL_KEY = " "
"""The rjieba entry that carries the part of jieba's total no single word carries (see the module docstring)."""


Token = tuple[str, int, int]
"""A jieba token and its character offsets in the (normalised, hence also original) text: ``(text, start, end)``."""


def _import_jieba() -> Any:
    # jieba imports pkg_resources when it is installed; setuptools ≥ 67 warns about that at import time.
    # The warning is about jieba, not about the caller's code, so it is silenced here and nowhere else.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba

    return jieba


def _import_rjieba() -> Any | None:
    """The rjieba module, or ``None`` when it is not installed (or cannot be imported)."""
    try:
        import rjieba
    except ImportError:
        return None
    return rjieba


def _rjieba_missing() -> ImportError:
    return ImportError("the rjieba tokenizer backend needs rjieba: pip install 'csqa[fast]' (or use backend='jieba')")


def _dictionary_path() -> Path:
    jieba = _import_jieba()
    return Path(jieba.__file__).with_name("dict.txt")


def _read_dictionary(path: Path) -> tuple[dict[str, int], int, dict[str, str]]:
    """jieba's ``dict.txt``: word → frequency, the total (duplicate lines counted, as jieba counts them), and
    the POS tags. Read line by line, so that no more than a line's strings exist besides what is kept; each
    distinct count and tag is kept once (there are a few thousand and a few dozen), not once per line."""
    counts: dict[str, int] = {}
    tags: dict[str, str] = {}
    numbers: dict[str, int] = {}
    total = 0
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 2:
                continue
            word, count = parts[0], numbers.get(parts[1])
            if count is None:
                count = numbers[parts[1]] = int(parts[1])
            counts[word] = count
            total += count
            if len(parts) > 2:
                tags[word] = sys.intern(parts[2])
    return counts, total, tags


_CACHE_KEEP = 6
"""Cache files kept in a cache folder: the newest, by use; older ones (another dictionary, word list or csqa
version) are removed when a new one is written, so that a folder never fills up."""


@functools.lru_cache(maxsize=4)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    """The SHA-256 of a file's content (computed once per process and version of the file)."""
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def cache_file(cache_dir: Path, backend: str, user_words: tuple[str, ...]) -> Path:
    """Where the tables of ``backend`` with ``user_words`` are cached in ``cache_dir``: the name is a digest of
    the dictionary's content, the user words, the backend, the cache format and csqa's version, so that a
    changed dictionary or word list (a site rule file's new phrases) or a new csqa never reads a stale cache."""
    path = _dictionary_path()
    stat = path.stat()
    hasher = hashlib.sha256()
    for part in (str(_CACHE_FORMAT), __version__, backend, _digest(str(path), stat.st_size, stat.st_mtime_ns)):
        hasher.update(part.encode() + b"\0")
    for word in user_words:
        hasher.update(word.encode("utf-8", "surrogatepass") + b"\0")
    return cache_dir / f"csqa-{backend}-{hasher.hexdigest()[:24]}.marshal"


def _cache_load(cache_dir: Path | None, backend: str, user_words: tuple[str, ...]) -> Any:
    """The cached tables, or ``None`` (no cache folder, no such file, or a file that cannot be read)."""
    if cache_dir is None:
        return None
    try:
        target = cache_file(cache_dir, backend, user_words)
        # marshal.loads of the whole file, not marshal.load of the open file: that reads object by object and
        # took 0.77 s where this takes 0.22 s (more than parsing dict.txt again).
        loaded = marshal.loads(target.read_bytes())
        os.utime(target)  # recently used: kept when older files are removed
        return loaded
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _cache_store(cache_dir: Path | None, backend: str, user_words: tuple[str, ...], tables: Any) -> None:
    """Write the tables to the cache, atomically (a reader sees the whole file or none), and remove the
    oldest of csqa's other cache files beyond :data:`_CACHE_KEEP`.

    A cache only saves time: a folder that cannot be made or written (read-only, a file in the way, a full
    disk) costs this process the parse it has already done, never the scoring. The command line checks a
    folder it was given up front so that its user hears of it."""
    if cache_dir is None:
        return
    try:
        target = cache_file(cache_dir, backend, user_words)
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".csqa-")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            marshal.dump(tables, handle)
        os.replace(tmp, target)
    except (OSError, ValueError):
        Path(tmp).unlink(missing_ok=True)
        return
    try:
        ours = sorted(cache_dir.glob("csqa-*.marshal"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in ours[_CACHE_KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


@functools.lru_cache(maxsize=1)
def _load_dictionary() -> tuple[dict[str, int], int, dict[str, str]]:
    """jieba's prefix dictionary (every prefix of a word present with frequency 0, as jieba's DAG needs it),
    the total and the tags, parsed once per process. Read-only: see :func:`_with_user_words`."""
    freq, total, tags = _read_dictionary(_dictionary_path())
    for word in list(freq):
        for end in range(1, len(word)):
            freq.setdefault(word[:end], 0)
    return freq, total, tags


def _jieba_on(table: dict[str, int], total: int) -> Any:
    """A ``jieba.Tokenizer`` that cuts with ``table`` and ``total`` as they are: marked initialised, so jieba
    never loads its own dictionary, logs, or writes its cache."""
    inner = _import_jieba().Tokenizer()
    inner.FREQ, inner.total, inner.initialized = table, total, True
    return inner


def _user_word_frequencies(
    counts: dict[str, int], total: int, user_words: tuple[str, ...]
) -> tuple[dict[str, int], int]:
    """The frequency jieba's ``add_word`` gives each user word, in order, and jieba's total afterwards.

    jieba computes a user word's frequency (``suggest_freq``) by cutting the word over its prefix dictionary.
    That cut only ever looks up substrings of the word, so jieba itself runs here on a table of just those:
    their frequencies, and a 0 for each that is a prefix of a dictionary word. Same code, same numbers,
    without building the 600,000-entry table the rjieba backend has no other use for.
    """
    needed = {w[i:j] for w in user_words for i in range(len(w)) for j in range(i + 1, len(w) + 1)}
    table = {piece: counts[piece] for piece in needed if piece in counts}
    firsts = {piece[0] for piece in needed}
    for word in counts:
        if word[0] in firsts:
            for end in range(1, len(word)):
                if word[:end] in needed:
                    table.setdefault(word[:end], 0)
    builder = _jieba_on(table, total)
    for word in user_words:
        builder.add_word(word, tag="nz")
    return {word: builder.FREQ[word] for word in user_words}, builder.total


@functools.lru_cache(maxsize=8)
def _jieba_tables(cache_dir: Path | None, user_words: tuple[str, ...]) -> tuple[dict[str, int], int, dict[str, str]]:
    """jieba's frequency table and total with ``user_words`` added (jieba's own ``add_word``, frequency from
    its ``suggest_freq``), and the tags; built once per process and word list, and shared read-only by every
    tokenizer with those words: jieba only reads the table while cutting. Sharing it matters most for worker
    processes, which inherit the parent's table under ``fork`` instead of each copying 600,000 entries,
    so the two cores read one copy through their shared cache. With ``cache_dir`` the three are read from
    (or written to) a cache file keyed by the dictionary's content and the words (:func:`cache_file`)."""
    cached = _cache_load(cache_dir, "jieba", user_words)
    if isinstance(cached, tuple) and len(cached) == 3:
        return cached
    freq, total, tags = _load_dictionary()
    builder = _jieba_on(dict(freq), total)
    for word in user_words:
        builder.add_word(word, tag="nz")
    tables = (builder.FREQ, builder.total, tags)
    _cache_store(cache_dir, "jieba", user_words, tables)
    return tables


def _with_user_words(cache_dir: Path | None, user_words: tuple[str, ...]) -> tuple[dict[str, int], int]:
    """jieba's frequency table and total with ``user_words`` added (see :func:`_jieba_tables`)."""
    freq, total, _ = _jieba_tables(cache_dir, user_words)
    return freq, total


def _cut_by_jieba(text: str, *, counts: dict[str, int], total: int, longest: int) -> list[Token]:
    """jieba's own tokens for ``text``, from a table of just the text's substrings.

    jieba's cut reads its frequency table only at substrings of the text (the DAG, the route, the check of
    an unknown run), and stops reading at a substring that no word starts with. A table holding every
    substring up to the longest word, each with its frequency or 0, gives the same DAG, route and runs as
    jieba's 600,000-entry prefix table, which the rjieba backend therefore never builds.
    """
    size = len(text)
    pieces = (text[start:end] for start in range(size) for end in range(start + 1, min(size, start + longest) + 1))
    return list(_jieba_on({piece: counts.get(piece, 0) for piece in pieces}, total).tokenize(text))


@functools.lru_cache(maxsize=8)
def _rjieba_with_user_words(
    cache_dir: Path | None, user_words: tuple[str, ...]
) -> tuple[Callable[[str], list[Token]], dict[str, str]]:
    """An rjieba cutter on jieba's dictionary with ``user_words`` (see the module docstring), and the POS
    tags: built once per process and word list like :func:`_with_user_words`, so a second scorer does not
    parse ``dict.txt`` and add 350,000 words again, and forked workers inherit the parent's."""
    rjieba = _import_rjieba()
    if rjieba is None:  # the caller checks first (Tokenizer._build_rjieba)
        raise _rjieba_missing()
    cached = _cache_load(cache_dir, "rjieba", user_words)
    if isinstance(cached, tuple) and len(cached) == 5:
        counts, total, tags, user_freq, final_total = cached
    else:
        counts, total, tags = _read_dictionary(_dictionary_path())
        user_freq, final_total = _user_word_frequencies(counts, total, user_words)
        _cache_store(cache_dir, "rjieba", user_words, (counts, total, tags, user_freq, final_total))
    inner = rjieba.Jieba.empty()
    add = inner.add_word
    # Tags are left out: they only serve rjieba's own tagging, which csqa does not use (see Tokenizer.pos).
    deque(map(add, counts, counts.values(), repeat(None)), maxlen=0)
    for word, count in user_freq.items():
        add(word, count, None)  # a user word that is also a dictionary word replaces it, as in jieba
    counted = sum(counts.values()) + sum(count - counts.get(word, 0) for word, count in user_freq.items())
    if final_total > counted:
        add(_TOTAL_KEY, final_total - counted, None)
    counts.update(user_freq)
    cut: Callable[[str], list[Token]] = inner.tokenize
    differs = _RJIEBA_DIFFERS.search
    by_jieba = functools.partial(_cut_by_jieba, counts=counts, total=final_total, longest=max(map(len, counts)))

    def tokenize(text: str) -> list[Token]:
        if differs(text):
            return by_jieba(text)
        try:
            return cut(text)
        except UnicodeEncodeError:  # a lone surrogate: see the module docstring
            safe = _SURROGATE.sub("\ufffd", text)
            return [(text[start:end], start, end) for _, start, end in cut(safe)]

    return tokenize, tags


class Tokenizer:
    """A private jieba tokenizer with user words; thread-safe, picklable, built lazily on first use.

    ``user_words`` are added with a frequency that keeps each one whole (jieba's ``suggest_freq``), tagged
    ``nz``. ``cache_dir``, when given, holds a marshal cache of jieba's dictionary so the next process
    starts faster; without it nothing is written anywhere. ``backend`` picks the implementation that cuts
    (see the module docstring): ``"auto"`` (rjieba when it is installed, else jieba), ``"jieba"``
    or ``"rjieba"`` (``ImportError`` at once if rjieba is not installed).
    """

    def __init__(
        self,
        user_words: Iterable[str] = (),
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        backend: Backend = "auto",
    ) -> None:
        if backend not in BACKENDS:
            raise UsageError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        if backend == "rjieba" and importlib.util.find_spec("rjieba") is None:
            raise _rjieba_missing()  # at construction, not at the first call in some worker
        self.user_words = tuple(sorted({w for w in user_words if w.strip()}))
        self._user_set = frozenset(self.user_words)
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self._requested: Backend = backend
        self._backend: str | None = None  # resolved on first use: importing rjieba is not free
        self._lock = threading.Lock()
        self._tokenize: Callable[[str], list[Token]] | None = None
        self._tags: dict[str, str] = {}

    def __getstate__(self) -> dict[str, object]:
        # The requested backend, not the resolved one: a worker resolves "auto" against its own environment.
        return {"user_words": self.user_words, "cache_dir": self.cache_dir, "backend": self._requested}

    def __setstate__(self, state: dict[str, Any]) -> None:
        backend = state.get("backend", "auto")  # a pickle from before backends existed has none
        self.__init__(state["user_words"], cache_dir=state["cache_dir"], backend=backend)  # type: ignore[misc]

    @property
    def backend(self) -> str:
        """The backend in use, ``"jieba"`` or ``"rjieba"`` (``"auto"`` resolved; imports rjieba if needed)."""
        if self._backend is not None:
            return self._backend
        with self._lock:
            return self._resolve()

    def _resolve(self) -> str:
        """Resolve the requested backend; call with the lock held."""
        if self._backend is None:
            wanted = self._requested in ("rjieba", "auto")
            if wanted and _import_rjieba() is not None:
                self._backend = "rjieba"
            elif self._requested == "rjieba":
                raise _rjieba_missing()
            else:
                self._backend = "jieba"
        return self._backend

    def _ensure(self) -> Callable[[str], list[Token]]:
        if self._tokenize is None:
            with self._lock:
                if self._tokenize is None:
                    self._tokenize = self._build_rjieba() if self._resolve() == "rjieba" else self._build_jieba()
        return self._tokenize

    def _build_jieba(self) -> Callable[[str], list[Token]]:
        freq, total, self._tags = _jieba_tables(self.cache_dir, self.user_words)  # tags: user words first (see pos)
        inner = _jieba_on(freq, total)
        return lambda text: list(inner.tokenize(text))

    def _build_rjieba(self) -> Callable[[str], list[Token]]:
        if _import_rjieba() is None:
            raise _rjieba_missing()
        tokenize, self._tags = _rjieba_with_user_words(self.cache_dir, self.user_words)
        return tokenize

    def tokenize(self, text: str) -> list[Token]:
        """Tokens covering ``text`` end to end (spaces and punctuation are tokens too)."""
        return self._ensure()(text)

    def pos(self, word: str) -> str:
        """The part of speech jieba's dictionary gives ``word`` (``nz`` for user words, ``x`` when unknown)."""
        self._ensure()
        return "nz" if word in self._user_set else self._tags.get(word, "x")

    def warm_up(self) -> None:
        """Load the dictionary now rather than on the first call (e.g. before timing, or in a worker)."""
        self._ensure()
