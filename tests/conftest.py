"""Shared fixtures: one Scorer per session (building it loads jieba's dictionary once), and a cache folder of
the session's own for the command line, which otherwise keeps jieba's tables in the user's cache folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import csqa

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _cli_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The command line's default cache goes to a folder of the test session's, not the developer's ~/.cache
    (subprocesses inherit it); tests of the default folder set their own environment."""
    before = os.environ.get("CSQA_CACHE_DIR")
    os.environ["CSQA_CACHE_DIR"] = str(tmp_path_factory.mktemp("csqa-cache"))
    yield
    if before is None:
        os.environ.pop("CSQA_CACHE_DIR", None)
    else:
        os.environ["CSQA_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def scorer() -> csqa.Scorer:
    return csqa.Scorer()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def make_call(*turns: tuple[str, str], **fields: object) -> dict[str, object]:
    """A native call dict from (speaker, text) pairs; keyword arguments become call fields."""
    call: dict[str, object] = {"call_id": fields.pop("call_id", "t"), "utterances": []}
    for turn in turns:
        speaker, text = turn[0], turn[1]
        utterance: dict[str, object] = {"speaker": speaker, "text": text}
        if len(turn) == 4:
            utterance["start"], utterance["end"] = turn[2], turn[3]  # type: ignore[misc]
        call["utterances"].append(utterance)  # type: ignore[union-attr]
    call.update(fields)
    return call
