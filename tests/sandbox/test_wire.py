"""The plain-data wire codec between the judge and the sandboxed child.

The codec is the only thing a sample's results pass through on their way to the judge, so
these tests pin down three properties: plain values come back with the same value *and* the
same exact types; anything else comes back as an ``Opaque`` that equals nothing; and the
decoder rejects every frame that does not follow the protocol instead of guessing.
"""

from __future__ import annotations

import collections
import enum
import json
import math
import struct
from typing import Any, NamedTuple

import pytest

from codejury.sandbox import wire


def roundtrip(value: Any) -> Any:
    """What the judge sees after the child encodes ``value`` (the real path: plain→bytes→value)."""
    return wire.loads(wire.dumps(wire.to_plain(value)))


def same(a: Any, b: Any) -> bool:
    """Equal values with identical types all the way down (``1 == 1.0 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return (
            list(a) == list(b)
            and all(same(k, kb) for k, kb in zip(a, b, strict=True))
            and all(same(a[k], b[k]) for k in a)
        )
    if isinstance(a, set | frozenset):
        # Members are hashable plain values; equal sets of exact-typed members compare equal
        # only if their types agree, which the element check below confirms.
        return a == b and sorted(map(repr, a)) == sorted(map(repr, b))
    return bool(a == b)


# ---------------------------------------------------------------------------------------------
# Round trips of plain values


PLAIN_VALUES = [
    pytest.param(None, id="none"),
    pytest.param(True, id="true"),
    pytest.param(False, id="false"),
    pytest.param(0, id="zero"),
    pytest.param(-7, id="negative-int"),
    pytest.param(2**53 - 1, id="largest-json-int"),
    pytest.param(-(2**53) + 1, id="smallest-json-int"),
    pytest.param(2**53, id="int-2^53"),
    pytest.param(-(2**64), id="negative-big-int"),
    pytest.param(10**400, id="int-10^400"),
    pytest.param(1.5, id="float"),
    pytest.param(-0.0, id="negative-zero"),
    pytest.param(5e-324, id="denormal"),
    pytest.param(1.7976931348623157e308, id="max-float"),
    pytest.param(math.inf, id="inf"),
    pytest.param(-math.inf, id="-inf"),
    pytest.param(complex(1, -2), id="complex"),
    pytest.param(complex(math.inf, -0.0), id="complex-special"),
    pytest.param("", id="empty-str"),
    pytest.param("héllo \u2603 \x00 \ud83d", id="str-unicode-nul-lone-surrogate"),
    pytest.param(b"\x00\xff bytes", id="bytes"),
    pytest.param(bytearray(b"\x01\x02"), id="bytearray"),
    pytest.param([], id="empty-list"),
    pytest.param((), id="empty-tuple"),
    pytest.param({}, id="empty-dict"),
    pytest.param(set(), id="empty-set"),
    pytest.param(frozenset(), id="empty-frozenset"),
    pytest.param([1, 2.5, "x", None, True], id="mixed-list"),
    pytest.param([1, True], id="list-int-and-bool"),
    pytest.param([1.0, math.inf, math.nan], id="list-special-floats"),
    pytest.param([1, 2**60], id="list-with-big-int"),
    pytest.param([10**400, -1], id="list-with-huge-int"),
    pytest.param((1, (2, (3, [4, {5}]))), id="nested-tuples"),
    pytest.param({(1, 2): [3.5], "k": {"inner": (None,)}}, id="dict-tuple-key"),
    pytest.param({1: "a", 1.5: "b", None: "c", False: "d", -(2**60): "e"}, id="dict-scalar-keys"),
    pytest.param({"t": [1], "d": "x", "o": "y", "i": "0x10"}, id="dict-keys-that-look-like-tags"),
    pytest.param({frozenset({1, 2}), (3, "x")}, id="set-of-hashables"),
    pytest.param(frozenset({(1,), "a"}), id="frozenset"),
    pytest.param([[1, 2], [3, [4, [5]]]], id="nested-native-lists"),
    pytest.param([[1, 2], [3, (4,)]], id="nested-lists-with-tuple"),
]


@pytest.mark.parametrize("value", PLAIN_VALUES)
def test_plain_values_round_trip_with_exact_types(value: Any) -> None:
    got = roundtrip(value)
    assert same(got, value), f"{value!r} came back as {got!r}"


def test_nan_round_trips_as_a_float_nan() -> None:
    # NaN is the one plain value not equal to itself; it must still arrive as a float NaN.
    got = roundtrip(math.nan)
    assert type(got) is float and math.isnan(got)


def test_dict_order_is_kept() -> None:
    # Outputs such as a dict built in insertion order compare equal regardless of order in
    # Python, but the results file and digests should not reorder what the sample returned.
    value = {"b": 1, "a": 2, "c": 3}
    assert list(roundtrip(value)) == ["b", "a", "c"]


@pytest.mark.parametrize("value", [2**53, -(2**53), 10**400, -(10**400)])
def test_big_ints_travel_as_hex_not_decimal(value: int) -> None:
    # Decimal conversion of huge ints is quadratic in CPython (and capped by
    # sys.set_int_max_str_digits); hex is linear, so a sample cannot stall the judge with it.
    encoded = wire.dumps(wire.to_plain(value))
    assert json.loads(encoded) == {"i": hex(value)}
    assert roundtrip(value) == value


def test_ints_below_2_53_stay_plain_json_numbers() -> None:
    assert (
        wire.dumps(wire.to_plain([2**53 - 1, -(2**53) + 1]))
        == b"[9007199254740991,-9007199254740991]"
    )


@pytest.mark.parametrize(
    ("value", "tag"),
    [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf")],
)
def test_special_floats_are_tagged_not_bare(value: float, tag: str) -> None:
    encoded = wire.dumps(wire.to_plain([value]))
    assert b"NaN" not in encoded and b"Infinity" not in encoded
    assert json.loads(encoded) == [{"f": tag}]


def test_dumps_refuses_untagged_special_floats() -> None:
    # dumps() is only for values already passed through to_plain; a raw NaN must never be
    # written in JSON's non-standard bare form.
    with pytest.raises(ValueError):
        wire.dumps([math.nan])


# ---------------------------------------------------------------------------------------------
# Subclasses of builtins travel as their base values


class Color(enum.IntEnum):
    RED = 3


class Point(NamedTuple):
    x: int
    y: int


class LyingInt(int):
    # The classic attack on EvalPlus: an int whose __eq__ always says yes.
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__

    def __int__(self) -> int:  # never consulted: the codec reads the builtin slot
        return 999


class LyingStr(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__

    def __str__(self) -> str:
        return "forged"


class LyingFloat(float):
    def __float__(self) -> float:
        return 0.0


class HiddenList(list):  # type: ignore[type-arg]
    def __iter__(self) -> Any:
        return iter(["forged"])


class LyingDict(dict):  # type: ignore[type-arg]
    def __getitem__(self, key: Any) -> Any:
        return "forged"

    def __iter__(self) -> Any:
        return iter(["forged-key"])


class MySet(set):  # type: ignore[type-arg]
    pass


class MyFrozen(frozenset):  # type: ignore[type-arg]
    pass


class MyBytes(bytes):
    def __bytes__(self) -> bytes:
        return b"forged"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(Color.RED, 3, id="IntEnum"),
        pytest.param(Point(1, 2), (1, 2), id="namedtuple"),
        pytest.param(
            collections.OrderedDict([("b", 1), ("a", 2)]), {"b": 1, "a": 2}, id="OrderedDict"
        ),
        pytest.param(collections.defaultdict(int, {"x": 1}), {"x": 1}, id="defaultdict"),
        pytest.param(collections.Counter("aab"), {"a": 2, "b": 1}, id="Counter"),
        pytest.param(LyingInt(5), 5, id="int-with-lying-eq-and-int"),
        pytest.param(LyingStr("real"), "real", id="str-with-lying-eq-and-str"),
        pytest.param(LyingFloat(2.5), 2.5, id="float-with-lying-float"),
        pytest.param(HiddenList([1, 2]), [1, 2], id="list-with-lying-iter"),
        pytest.param(LyingDict({"k": 1}), {"k": 1}, id="dict-with-lying-getitem-and-iter"),
        pytest.param(MySet({1}), {1}, id="set-subclass"),
        pytest.param(MyFrozen({1}), frozenset({1}), id="frozenset-subclass"),
        pytest.param(MyBytes(b"ab"), b"ab", id="bytes-with-lying-bytes"),
        pytest.param([Color.RED, Point(0, 1)], [3, (0, 1)], id="subclasses-inside-a-list"),
    ],
)
def test_subclasses_travel_as_their_base_value(value: Any, expected: Any) -> None:
    got = roundtrip(value)
    assert same(got, expected), f"{value!r} came back as {got!r}"


def test_a_lying_int_cannot_pass_as_another_value() -> None:
    # After the round trip it is a plain int 5: the always-true __eq__ is gone.
    got = roundtrip(LyingInt(5))
    assert got != 6
    assert type(got) is int


# ---------------------------------------------------------------------------------------------
# Non-plain values become Opaque, which equals nothing


class AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0


def _gen() -> Any:
    yield 1


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(AlwaysEqual(), id="always-equal-object"),
        pytest.param(object(), id="object"),
        pytest.param(len, id="builtin-function"),
        pytest.param(lambda: 1, id="lambda"),
        pytest.param(_gen(), id="generator"),
        pytest.param(iter([1]), id="iterator"),
        pytest.param(range(3), id="range"),
        pytest.param(type, id="a-class"),
        pytest.param(memoryview(b"x"), id="memoryview"),
    ],
)
def test_non_plain_values_become_opaque(value: Any) -> None:
    got = roundtrip(value)
    assert isinstance(got, wire.Opaque)
    assert got.type_name == type(value).__name__


def test_opaque_is_equal_to_nothing_not_even_itself() -> None:
    got = roundtrip(AlwaysEqual())
    assert isinstance(got, wire.Opaque)
    for other in (got, AlwaysEqual(), None, 0, "", [], wire.Opaque("AlwaysEqual")):
        assert got != other
        assert got != other
    # The judge only ever holds the Opaque (never the sample's AlwaysEqual), and it is always
    # the left operand of the comparator's ``out == exp``, so Opaque.__eq__ decides.
    assert "opaque" in repr(got)


def test_opaque_inside_containers_spoils_equality() -> None:
    got = roundtrip([1, AlwaysEqual()])
    assert got != [1, AlwaysEqual()]
    assert got[0] == 1 and isinstance(got[1], wire.Opaque)


def test_opaque_type_name_is_truncated() -> None:
    cls = type("X" * 500, (), {})
    got = roundtrip(cls())
    assert isinstance(got, wire.Opaque) and len(got.type_name) <= 100


def test_nesting_beyond_max_depth_is_cut_to_opaque() -> None:
    # Tuples are not JSON-native, so each level costs depth; the codec stops at MAX_DEPTH
    # instead of recursing without bound.
    value: Any = 0
    for _ in range(wire.MAX_DEPTH + 10):
        value = (value,)
    got = roundtrip(value)
    depth = 0
    while isinstance(got, tuple):
        got, depth = got[0], depth + 1
    assert isinstance(got, wire.Opaque)
    assert depth == wire.MAX_DEPTH


# ---------------------------------------------------------------------------------------------
# Framing


def test_frame_prefixes_the_length() -> None:
    payload = wire.dumps(["res", [[0, "r", 1, 0.0]]])
    framed = wire.frame(payload)
    assert framed[wire.HEADER_SIZE :] == payload
    assert wire.frame_length(framed[: wire.HEADER_SIZE]) == len(payload)


def test_frame_at_the_cap_is_accepted() -> None:
    assert wire.frame_length(struct.pack(">I", wire.MAX_FRAME_BYTES)) == wire.MAX_FRAME_BYTES


@pytest.mark.parametrize("size", [wire.MAX_FRAME_BYTES + 1, 2**32 - 1])
def test_frames_over_the_cap_are_rejected(size: int) -> None:
    # The judge would otherwise buffer whatever length a (malicious) child announces.
    with pytest.raises(wire.WireError, match="exceeds"):
        wire.frame_length(struct.pack(">I", size))


# ---------------------------------------------------------------------------------------------
# Strict decoding


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"NaN", id="bare-NaN"),
        pytest.param(b"[Infinity]", id="bare-Infinity"),
        pytest.param(b"[-Infinity]", id="bare-minus-Infinity"),
        pytest.param(b'{"t": 1}', id="tuple-tag-not-a-list"),
        pytest.param(b'{"s": "ab"}', id="set-tag-not-a-list"),
        pytest.param(b'{"z": {"t": []}}', id="frozenset-tag-not-a-list"),
        pytest.param(b'{"d": [[1]]}', id="dict-item-not-a-pair"),
        pytest.param(b'{"d": [1]}', id="dict-item-not-a-list"),
        pytest.param(b'{"d": [[[1], 2]]}', id="dict-unhashable-key"),
        pytest.param(b'{"s": [[1]]}', id="set-unhashable-member"),
        pytest.param(b'{"c": [1]}', id="complex-one-part"),
        pytest.param(b'{"c": ["1", 2]}', id="complex-part-not-a-number"),
        pytest.param(b'{"c": [true, 2]}', id="complex-part-bool"),
        pytest.param(b'{"f": "1.5"}', id="special-float-not-special"),
        pytest.param(b'{"f": 1.5}', id="special-float-not-a-string"),
        pytest.param(b'{"i": "zz"}', id="hex-int-garbage"),
        pytest.param(b'{"i": 16}', id="hex-int-not-a-string"),
        pytest.param(b'{"b": "!!not base64!!"}', id="bytes-bad-base64"),
        pytest.param(b'{"y": 5}', id="bytearray-not-a-string"),
        pytest.param(b'{"o": 5}', id="opaque-not-a-string"),
        pytest.param(b'{"q": "x"}', id="unknown-tag"),
        pytest.param(b"{}", id="empty-object"),
        pytest.param(b'{"t": [], "s": []}', id="two-keys"),
        pytest.param(b"[1,", id="truncated"),
        pytest.param(b"", id="empty-frame"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="absurdly-deep"),
    ],
)
def test_strict_decoding_rejects_malformed_frames(data: bytes) -> None:
    with pytest.raises(wire.WireError):
        wire.loads(data)


def test_valid_tags_decode() -> None:
    data = b'[{"t":[1,2]},{"s":[1]},{"z":[2]},{"d":[["k",{"f":"inf"}]]},{"c":[0,1]},{"i":"-0x10"},{"b":"AA=="},{"y":"AQ=="},{"o":"Foo"}]'
    got = wire.loads(data)
    assert same(
        got[:8],
        [(1, 2), {1}, frozenset({2}), {"k": math.inf}, 1j, -16, b"\x00", bytearray(b"\x01")],
    )
    assert isinstance(got[8], wire.Opaque) and got[8].type_name == "Foo"
