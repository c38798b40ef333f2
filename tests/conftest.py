"""Shared fixtures: one Scorer per session (building it loads jieba's dictionary once)."""

from __future__ import annotations

from pathlib import Path

import pytest

import csqa

ROOT = Path(__file__).resolve().parent.parent


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
