"""Vocabularies stored as strings: one base for enums with translated labels, and the column type they use."""
from __future__ import annotations

import enum

from sqlalchemy import Enum


class LabelledEnum(str, enum.Enum):
    """A stored value with a label people read: members are written `OWNER = "owner", _l("Owner")`."""

    def __new__(cls, value: str, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self) -> str:
        """The stored value (what a form compares its choices with), not Python's "Class.MEMBER"."""
        return self.value

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        return [(member.value, member.label) for member in cls]


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    """Stored as its values in a VARCHAR (no native enum type: adding a value needs no migration)."""
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members], native_enum=False,
                length=20)
