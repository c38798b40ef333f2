"""The input of MANUAL.md as immutable pydantic models.

The model itself rejects unknown fields: a misspelt ``hangup_by`` silently dropped would turn a ``fail`` into
``not_assessable`` without anyone noticing. The loaders (:mod:`csqa.input.fields`) put an export's other
fields into ``metadata`` before the model sees them, unless they look like misspellings. Speaker and party
names accept the aliases that common exports use (坐席/座席/客服 → agent, 客户/顾客/用户 → customer).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Call", "CallError", "Direction", "Event", "MetaValue", "Record", "Speaker", "Utterance"]

Speaker = Literal["agent", "customer"]
Direction = Literal["inbound", "outbound"]

SPEAKER_ALIASES: dict[str, str] = {
    "agent": "agent",
    "坐席": "agent",
    "座席": "agent",
    "客服": "agent",
    "customer": "customer",
    "客户": "customer",
    "顾客": "customer",
    "用户": "customer",
    "客戶": "customer",
    "顧客": "customer",
    "用戶": "customer",
}

PARTY_ALIASES: dict[str, str] = {
    **SPEAKER_ALIASES,
    **dict.fromkeys(("客户挂机", "客户挂断", "用户挂机", "用户挂断", "顾客挂机", "客户先挂机", "用户先挂机"), "customer"),
    **dict.fromkeys(("坐席挂机", "坐席挂断", "座席挂机", "座席挂断", "客服挂机", "客服挂断", "坐席先挂机"), "agent"),
}
"""Who hung up, as exports write it (挂机方: 客户 / 坐席, or 客户挂机)."""

DIRECTION_ALIASES: dict[str, str] = {
    "inbound": "inbound",
    "outbound": "outbound",
    "呼入": "inbound",
    "来电": "inbound",
    "呼出": "outbound",
    "回访": "outbound",
    "外呼": "outbound",
}

_FROZEN = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
MetaValue = str | int | float | bool | None
"""A metadata value: what a cell of an export holds (JSON's scalars)."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unicode(value: str) -> str:
    """Reject lone surrogates (JSON's ``"\\ud800"`` decodes to one): they are not text, cannot be written back
    as UTF-8, and would make the report of the call unwritable. The error says where, so the export can be
    fixed."""
    found = _SURROGATE.search(value)
    if found is not None:
        raise ValueError(
            f"contains a lone surrogate U+{ord(found.group()):04X} at character {found.start()}: not valid Unicode "
            "(a broken \\u escape in the export?)"
        )
    return value


Text = Annotated[str, AfterValidator(_unicode)]


def _rebuild(cls: type[Record], values: tuple[Any, ...], fields_set: set[str] | None) -> Record:
    """Unpickle a :class:`Record`: the values were validated when it was made, so they are set, not checked
    again (what pydantic's own ``__setstate__`` does, from a smaller pickle)."""
    record = cls.__new__(cls)
    names = cls.__pydantic_fields__
    object.__setattr__(record, "__dict__", dict(zip(names, values)))
    object.__setattr__(record, "__pydantic_fields_set__", set(names) if fields_set is None else fields_set)
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_private__", None)
    return record


class Record(BaseModel):
    """An immutable csqa model that pickles compactly.

    Calls given as models cross process boundaries in a parallel batch (:mod:`csqa.scoring.batch`), and callers
    pickle reports into their own queues and caches; pickling each one as its field values in order, rather
    than pydantic's state dictionaries, halves the bytes and the time. (The batch itself sends reports back
    as JSON, which is cheaper still to read.)
    """

    model_config = _FROZEN

    def __reduce__(self) -> tuple[Any, ...]:
        names = type(self).__pydantic_fields__
        fields_set = self.__pydantic_fields_set__
        values = tuple(self.__dict__[name] for name in names)
        return _rebuild, (type(self), values, None if len(fields_set) == len(names) else fields_set)


def _alias(value: object, table: dict[str, str], what: str) -> object:
    if isinstance(value, str):
        key = value.strip()
        found = table.get(key) or table.get(key.lower())
        if found is None:
            allowed = ", ".join(sorted({k for k in table if k.isascii()}))
            shown = repr(value) if len(value) <= 40 else repr(value[:40]) + f"… ({len(value)} characters)"
            raise ValueError(f"{shown} is not a {what}; use {allowed} (or a Chinese alias)")
        return found
    return value


class Utterance(Record):
    """One stretch of speech by one party, as ASR or a person wrote it."""

    model_config = _FROZEN

    speaker: Speaker
    text: Text
    start: Seconds | None = None
    end: Seconds | None = None

    @field_validator("speaker", mode="before")
    @classmethod
    def _speaker_alias(cls, value: object) -> object:
        return _alias(value, SPEAKER_ALIASES, "speaker")

    @model_validator(mode="after")
    def _ordered(self) -> Utterance:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Event(Record):
    """A CTI event: a ``hold`` (start and end) or a ``transfer`` (start)."""

    model_config = _FROZEN

    type: Literal["hold", "transfer"]
    start: Seconds
    end: Seconds | None = None

    @model_validator(mode="after")
    def _shape(self) -> Event:
        if self.type == "hold" and self.end is None:
            raise ValueError("a hold needs an end")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Call(Record):
    """One call: who spoke, what was said, and what the phone system recorded around it."""

    model_config = _FROZEN

    call_id: Annotated[Text, Field(min_length=1)]
    direction: Direction = "inbound"
    agent_id: Text | None = None
    rings: Annotated[int, Field(ge=0, le=10_000, strict=True)] | None = None
    ring_seconds: Seconds | None = None
    hangup_by: Speaker | None = None
    utterances: tuple[Utterance, ...]
    events: tuple[Event, ...] = ()
    started_at: datetime | None = Field(default=None, description="when the call began (ISO 8601), for trends by day")
    team: Text | None = Field(default=None, description="the agent's team or group, for summaries by team")
    metadata: dict[Text, MetaValue] = Field(
        default_factory=dict, description="everything else the export says about the call (queue, channel, …)")

    @field_validator("call_id", mode="before")
    @classmethod
    def _id_not_blank(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and not value.strip():
            raise ValueError("call_id is blank")
        return value

    @field_validator("direction", mode="before")
    @classmethod
    def _direction_alias(cls, value: object) -> object:
        return _alias(value, DIRECTION_ALIASES, "direction")

    @field_validator("hangup_by", mode="before")
    @classmethod
    def _hangup_alias(cls, value: object) -> object:
        return None if value is None else _alias(value, PARTY_ALIASES, "party")

    @property
    def timed(self) -> bool:
        """True when every utterance has both a start and an end time."""
        return bool(self.utterances) and all(u.start is not None and u.end is not None for u in self.utterances)


class CallError(Record):
    """The record a batch yields for a call it could not read or score; nothing is dropped silently."""

    model_config = _FROZEN

    error: Literal[True] = True
    code: str
    message: str
    call_id: str | None = None
    source: str | None = None
    line: int | None = None
    problems: tuple[str, ...] = ()

    @field_validator("message", "call_id", "source", mode="before")
    @classmethod
    def _writable(cls, value: object) -> object:
        """An error record must always be writable as UTF-8, or the error it reports would be lost with it:
        a lone surrogate (from a broken ``\\ud800`` escape, or a file name that is not UTF-8) is kept as its
        escape."""
        return _writable(value)

    @field_validator("problems", mode="before")
    @classmethod
    def _writable_problems(cls, value: object) -> object:
        return tuple(_writable(v) for v in value) if isinstance(value, (list, tuple)) else value


def _writable(value: object) -> object:
    if isinstance(value, str) and not value.isascii():
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value
