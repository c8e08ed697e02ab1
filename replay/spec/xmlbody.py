"""XML response bodies (``rest-xml``, ``query``, ``ec2``): read safely, then turned, guided by
the output shape, into the value the JSON checker walks.

The wire is parsed by :func:`replay.protocols.xmltext.parse_xml` (``defusedxml``, no DTD at
all: entity expansion, the billion laughs, external entities and ``<!DOCTYPE>`` are refused
before anything expands; nesting is bounded), bodies over
:data:`~replay.core.jsonbody.MAX_BODY_BYTES` are refused unread; each is an
:class:`XmlBodyError` (an ``invalid-xml`` finding).

An :class:`XmlReader` compiles a shape once (like :class:`~replay.spec.shapes.ShapeCompiler`)
into a converter from an element to ``dict``/``list``/``str``/``int``/``float``/``bool``,
following botocore's XML rules: ``locationName``, flattened lists and maps, list items named by
the member's ``locationName`` (``member`` by default, ``item`` in EC2), XML attributes, local
names only (namespaces are ignored). Text that is not of the member's type stays a string, so
the compiled checker reports the ``type`` finding. What only XML can get wrong is reported here,
into the same sink and with the same member-name JSONPaths (``$.Contents[0].StorageClass``): an
element the model does not know (``unknown-member``) and a single member given twice (``type``).

Example::

    root = parse_xml_body(raw)
    value = XmlReader().compile(output_shape, body_only=True)(root, [], sink)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

from replay.core.findings import Severity
from replay.core.jsonbody import MAX_BODY_BYTES
from replay.core.jsonpath import member_segment
from replay.protocols.xmltext import XmlBodyError, generic_value, local_name, parse_xml
from replay.spec.servicemodel import Shape
from replay.spec.shapes import Sink, Trail, shape_key

__all__ = [
    "XmlBodyError",
    "XmlReader",
    "child_named",
    "generic_value",
    "local_name",
    "parse_xml_body",
]

_MAX_NUMBER_CHARS = 400

Convert = Callable[[Element, Trail, Sink], Any]
_ONE, _FLAT_LIST, _FLAT_MAP = 0, 1, 2


def parse_xml_body(body: bytes, *, max_bytes: int = MAX_BODY_BYTES) -> Element:
    """The root element of a response ``body``, read by :func:`replay.protocols.xmltext.parse_xml`
    (no DTD, no entity, bounded depth) within ``max_bytes``; raises :class:`XmlBodyError`."""
    if len(body) > max_bytes:
        raise XmlBodyError(f"a body of {len(body)} bytes is over the {max_bytes}-byte limit")
    try:
        return parse_xml(body)
    except XmlBodyError as exc:
        if body.lstrip()[:1] in (b"{", b"["):
            raise XmlBodyError(f"{exc.reason} (the body looks like JSON)") from None
        raise


def child_named(element: Element, name: str) -> Element | None:
    """The first child of ``element`` whose local name is ``name``."""
    for child in element:
        if local_name(child.tag) == name:
            return child
    return None


def _unknown(sink: Sink, trail: Trail, name: str, where: str, element: Element) -> None:
    trail.append(member_segment(name))
    sink.add("unknown-member", Severity.ADDITIVE, trail,
             f"element <{name}> is not in the model of {where}; botocore drops it silently",
             None, generic_value(element))
    trail.pop()


def _text_reader(shape: Shape, timestamps: str) -> Callable[[str], Any]:
    """How the text of a scalar of ``shape`` becomes a value (kept as text when it is not one)."""
    kind = shape.type_name

    def as_int(text: str) -> Any:
        if len(text) > _MAX_NUMBER_CHARS:
            return text
        try:
            return int(text)
        except ValueError:
            return text

    def as_float(text: str) -> Any:
        if len(text) > _MAX_NUMBER_CHARS:
            return text
        try:
            number = float(text)
        except ValueError:
            return text
        if number != number or number in (float("inf"), float("-inf")):
            return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(str(number), text)
        return number

    def as_bool(text: str) -> Any:
        return {"true": True, "false": False}.get(text.strip(), text)

    if kind in ("integer", "long", "short", "byte"):
        return as_int
    if kind in ("float", "double"):
        return as_float
    if kind == "boolean":
        return as_bool
    if kind == "timestamp":
        declared = shape.serialization.get("timestampFormat") or shape.metadata.get(
            "timestampFormat") or timestamps
        return as_float if declared == "unixTimestamp" else str
    return str


class XmlReader:
    """Compiles shapes of one service model into XML converters, each shape once."""

    def __init__(self, timestamps: str = "iso8601") -> None:
        self._done: dict[str, Convert] = {}
        self._cells: dict[str, list[Convert]] = {}
        self.timestamps = timestamps

    def compile(self, shape: Shape, *, body_only: bool = False, lenient: bool = False,
                allowed: frozenset[str] = frozenset()) -> Convert:
        """``shape``'s converter. ``body_only`` leaves out members bound to headers or the
        status; ``lenient`` reports no unknown element (an error body: botocore keeps every
        child of ``<Error>``); elements named in ``allowed`` are skipped quietly."""
        key = f"{shape_key(shape)}/{body_only}/{lenient}/{sorted(allowed)}"
        done = self._done.get(key)
        if done is not None:
            return done
        pending = self._cells.get(key)
        if pending is not None:  # recursive shape: defer to the finished function
            return lambda element, trail, sink: pending[0](element, trail, sink)
        cell: list[Convert] = []
        self._cells[key] = cell
        convert = self._build(shape, body_only, lenient, allowed)
        cell.append(convert)
        self._done[key] = convert
        return convert

    def _build(self, shape: Shape, body_only: bool, lenient: bool,
               allowed: frozenset[str]) -> Convert:
        kind = shape.type_name
        if kind == "structure":
            if shape.metadata.get("document"):
                return lambda element, trail, sink: generic_value(element)
            return self._structure(shape, body_only, lenient, allowed)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        read = _text_reader(shape, self.timestamps)

        def convert_scalar(element: Element, trail: Trail, sink: Sink) -> Any:
            if len(element):
                return generic_value(element)  # the checker reports an object where a scalar goes
            return read(element.text or "")

        return convert_scalar

    def _structure(self, shape: Shape, body_only: bool, lenient: bool,
                   allowed: frozenset[str]) -> Convert:
        elements: dict[str, tuple[str, str, int, Convert]] = {}
        attributes: dict[str, tuple[str, Callable[[str], Any]]] = {}
        for name, member in shape.members.items():
            serialization = member.serialization
            if body_only and serialization.get("location"):
                continue
            if serialization.get("xmlAttribute"):
                attributes[local_name(serialization.get("name", name))] = (
                    name, _text_reader(member, self.timestamps))
                continue
            xml_name = serialization.get("name", name)
            how = _ONE
            convert: Convert
            if member.type_name == "list" and serialization.get("flattened"):
                xml_name = member.member.serialization.get("name") or xml_name
                how, convert = _FLAT_LIST, self.compile(member.member)
            elif member.type_name == "map" and serialization.get("flattened"):
                how, convert = _FLAT_MAP, self._entry(member)
            else:
                convert = self.compile(member)
            elements[local_name(xml_name)] = (name, member_segment(name), how, convert)

        def convert_structure(element: Element, trail: Trail, sink: Sink) -> Any:
            value: dict[str, Any] = {}
            if not len(element) and (element.text or "").strip():
                return element.text  # text where members go: the checker reports the type
            for child in element:
                tag = local_name(child.tag)
                found = elements.get(tag)
                if found is None:
                    if not lenient and tag not in allowed:
                        _unknown(sink, trail, tag, shape.name, child)
                    continue
                name, segment, how, convert = found
                trail.append(segment)
                if how == _ONE:
                    if name in value:
                        sink.add("type", Severity.BREAKING, trail,
                                 f"element <{tag}> of {shape.name} appears more than once; "
                                 "it is not a list", "one element", generic_value(child))
                    else:
                        value[name] = convert(child, trail, sink)
                elif how == _FLAT_LIST:
                    items = value.setdefault(name, [])
                    trail.append(f"[{len(items)}]")
                    items.append(convert(child, trail, sink))
                    trail.pop()
                else:
                    entries = value.setdefault(name, {})
                    key, item = convert(child, trail, sink)
                    if key is not None:
                        entries[key] = item
                trail.pop()
            for attribute, text in element.attrib.items():
                known = attributes.get(local_name(attribute))
                if known is not None:
                    value[known[0]] = known[1](text)
            return value

        return convert_structure

    def _list(self, shape: Shape) -> Convert:
        convert_item = self.compile(shape.member)
        item_name = local_name(shape.member.serialization.get("name", "member"))

        def convert_list(element: Element, trail: Trail, sink: Sink) -> Any:
            items: list[Any] = []
            for child in element:
                tag = local_name(child.tag)
                if tag != item_name:
                    _unknown(sink, trail, tag, f"{shape.name} (its items are <{item_name}>)",
                             child)
                    continue
                trail.append(f"[{len(items)}]")
                items.append(convert_item(child, trail, sink))
                trail.pop()
            if not items and (element.text or "").strip():
                return element.text  # text where a list goes: the checker reports the type
            return items

        return convert_list

    def _entry(self, shape: Shape) -> Callable[[Element, Trail, Sink], tuple[Any, Any]]:
        """One ``<key>``/``<value>`` entry of map ``shape`` as ``(key, value)``."""
        key_name = local_name(shape.key.serialization.get("name", "key"))
        value_name = local_name(shape.value.serialization.get("name", "value"))
        convert_value = self.compile(shape.value)

        def convert_entry(element: Element, trail: Trail, sink: Sink) -> tuple[Any, Any]:
            key: Any = None
            value: Any = None
            for child in element:
                tag = local_name(child.tag)
                if tag == key_name:
                    key = child.text or ""
                elif tag == value_name:
                    value = child
                else:
                    _unknown(sink, trail, tag, f"an entry of {shape.name}", child)
            if key is None:
                sink.add("missing-required", Severity.BREAKING, trail,
                         f"an entry of map {shape.name} has no <{key_name}>", key_name, None)
                return None, None
            if value is None:
                return key, None
            trail.append(member_segment(key))
            converted = convert_value(value, trail, sink)
            trail.pop()
            return key, converted

        return convert_entry

    def _map(self, shape: Shape) -> Convert:
        convert_entry = self._entry(shape)

        def convert_map(element: Element, trail: Trail, sink: Sink) -> Any:
            entries: dict[Any, Any] = {}
            for child in element:
                tag = local_name(child.tag)
                if tag != "entry":
                    _unknown(sink, trail, tag, f"{shape.name} (its entries are <entry>)", child)
                    continue
                key, value = convert_entry(child, trail, sink)
                if key is not None:
                    entries[key] = value
            return entries

        return convert_map
