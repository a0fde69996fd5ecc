"""A base for small value objects that is cheap to define.

Every lint run defines all of the engine's and the rules' classes before it reads a byte, and
for one small file that start-up is most of the run (``benchmarks/startup.py``). Defining a
dataclass costs about 0.5 ms (it compiles its generated methods), a ``typing.NamedTuple``
about 0.1 ms (it compiles its string annotations); a plain class costs a few microseconds.

So value objects subclass :class:`Record`: they list their fields in ``__slots__`` and assign
them in a typed ``__init__`` (so mypy checks every construction); this base adds equality,
hashing and ``repr`` over those fields, and :meth:`Record.replace`. Records are treated as
immutable: nothing assigns to a field after ``__init__``. ``tests/test_startup.py`` checks
that a lint run defines no dataclass.
"""

from __future__ import annotations

from typing import Any, Self


class Record:
    """Equality, hashing, ``repr`` and ``replace`` over the fields named in ``__slots__``."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self.__slots__])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` (field name: new value), like ``dataclasses.replace``."""
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return type(self)(**values)


__all__ = ["Record"]
