"""XML from the wire, read safely: no DTDs, no entities, bounded depth; one reason on failure.

Every XML body aws-replay reads (a recorded S3 or STS answer, a request a client sends to
``serve``, a cassette's request payload) comes through :func:`parse_xml`, built on
``defusedxml``: a billion-laughs bomb, an external entity or a DTD is refused before it is
expanded, a truncated document is one :class:`XmlBodyError` line.

Example::

    root = parse_xml(b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>")
    local_name(root.tag), generic_value(root)   # ('Tagging', {'TagSet': {'Tag': {'Key': 'a'}}})
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

MAX_DEPTH = 100
"""The deepest element nesting read; no AWS shape comes near it."""


class XmlBodyError(ValueError):
    """A body that is not safe, well-formed XML; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_xml(body: bytes | str) -> Element:
    """The root element of ``body``; raises :class:`XmlBodyError` for a bomb, a DTD, an entity,
    a document nested deeper than :data:`MAX_DEPTH`, or XML that is not well-formed."""
    try:
        root: Element = defusedxml.ElementTree.fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlBodyError(f"refused unsafe XML ({type(exc).__name__})") from None
    except ParseError as exc:
        raise XmlBodyError(f"not well-formed XML ({exc})") from None
    except (ValueError, RecursionError) as exc:
        raise XmlBodyError(f"not readable XML ({type(exc).__name__})") from None
    _check_depth(root)
    return root


def _check_depth(root: Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise XmlBodyError(f"XML nested deeper than {MAX_DEPTH} elements")
        stack.extend((child, depth + 1) for child in element)


def local_name(tag: str) -> str:
    """``{http://s3.amazonaws.com/doc/2006-03-01/}Key`` and ``xsi:type`` give ``Key``, ``type``."""
    return tag.rpartition("}")[2].rpartition(":")[2]


def generic_value(element: Element) -> Any:
    """An element read without a model, as plain data for matching, diffs and findings: its
    text (stripped) for a leaf, its children by local name for the rest (a repeated name gives
    a list); attributes ignored."""
    if not len(element):
        return (element.text or "").strip()
    value: dict[str, Any] = {}
    for child in element:
        name = local_name(child.tag)
        item = generic_value(child)
        if name in value:
            held = value[name]
            value[name] = [*held, item] if isinstance(held, list) else [held, item]
        else:
            value[name] = item
    return value
