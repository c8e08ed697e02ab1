"""A strict fast path for the YAML layout aws-replay writes (and vcrpy's plain text cassettes).

``yaml.load`` builds every cassette through libyaml's events and PyYAML's Python constructor,
about 14x the cost of ``json.loads`` on the same document. Cassettes are almost all one shape:
block mappings and sequences, plain and single-quoted scalars, one-line flow collections (the
header lists, the status, meta's sanitizer) and one literal block (``|-``) per body. This
reader handles exactly that subset, in one pass over the lines with a stack of open
collections (a line met more than once, such as ``method: POST`` or ``Content-Type:
[text/xml]``, is looked up, not read again; a body's literal block is cut out whole; CRLF
line ends read as YAML reads them), and gives up (raises :class:`Unsupported`) on anything
else: flow collections over several lines or spaced unlike the writer's, double quotes, tags
(``!!binary``), anchors and aliases, comments, tabs and control characters, directives, typed
scalars it does not resolve exactly as PyYAML's safe loader would. The caller then reads the
text with the full safe loader, so a document always gives the same data (or the same error)
either way.

The one error it raises itself is a duplicate key in a block mapping, with the key and line
the full loader names (:class:`DuplicateKey`); the caller reads such a text with the full
loader too, which meets a syntax error further on first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, cast


class Unsupported(Exception):
    """The text is outside the subset: read it with the full loader."""


class DuplicateKey(Exception):
    """A mapping repeats a key (``line`` is 1-based)."""

    def __init__(self, key: str, line: int) -> None:
        super().__init__(key, line)
        self.key, self.line = key, line


# PyYAML's implicit resolvers (yaml/resolver.py) for what a plain scalar starting with a digit,
# a sign, a dot or an indicator may be; copied so that the fast path does not import PyYAML
_TYPED = [re.compile(pattern, re.X) for pattern in (
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
    r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
     (?:[Tt]|[ \t]+)[0-9][0-9]?
     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
    r"^(?:<<)$", r"^(?:=)$", r"^(?:!|&|\*)$")]
_TYPED_START = frozenset("+-.0123456789<=!&*")

# plain keys and short plain values already checked (the same few recur in every cassette:
# method, uri, headers, POST, OK, content types), bounded
_SEEN_KEYS: set[str] = set()
_SEEN_VALUES: dict[str, Any] = {}
_SEEN_MAX = 4096


class _Recurring:
    """What has been read once so far (lines, plain values): the caches keep only what is read
    again, so that each cassette's own lines (its recording time, its request, a digest) do
    not fill them before the lines of a layout met later in a fleet (S3 cassettes after
    thousands of SageMaker ones) are ever seen twice. Bounded: forgotten when full."""

    __slots__ = ("once",)

    def __init__(self) -> None:
        self.once: set[str] = set()

    def again(self, text: str) -> bool:
        """Whether ``text`` was read before (and so is worth remembering)."""
        once = self.once
        if text in once:
            once.discard(text)
            return True
        if len(once) >= _SEEN_MAX:
            once.clear()
        once.add(text)
        return False


_LINES_ONCE, _VALUES_ONCE = _Recurring(), _Recurring()
_MISSING = object()
_NOTHING = object()  # no key waiting for its value
_ITEM = object()  # an item ("-" alone) waiting for its value
# lines already read that hold a key or an item and, if any, a one-line value (a short plain
# scalar, a single-quoted one, a flow collection): its column when it is a plain "key: value"
# (no "- ", a value on the line; else _NEVER_IN_PLACE), then its key and value, its indentation
# and whether it is an item, as entry() gives them, for a flow collection what builds its
# value anew (else None), and its length with its line break (the next line's offset)
_LINES: dict[str, tuple[int, Any, Any, int, bool, Callable[[], Any] | None, int]] = {}
_NONE_IN_PLACE = -1  # no line can go straight into the open collection (a value is awaited)
_NEVER_IN_PLACE = -2  # a line that never goes straight in (an item, a key alone, a block)
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_CONSTANTS: dict[str, Any] = {
    **dict.fromkeys(("null", "Null", "NULL", "~", ""), None),
    **dict.fromkeys(("true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"), True),
    **dict.fromkeys(("false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"), False),
}
_SPECIAL_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
_QUOTED = re.compile(r"'((?:[^']|'')*)'(?!')")
_FLOW_LINE_MAX = 1024  # a remembered line holding a flow collection (meta's rules list)
_SCALAR_LINE_MAX = 80  # a remembered line holding a scalar
_BLOCK_END: dict[int, re.Pattern[str]] = {}
_LITERAL_HEADERS: dict[str, tuple[str, int]] = {}  # "|-" -> ("-", 0), as _literal_header reads
# what YAML reads differently from Python's str.split("\n") (other line breaks, a BOM, tabs) or
# rejects (control characters): such documents take the full loader
_PLAIN_ASCII = bytes([0x0A, *range(0x20, 0x7F)])  # all the fast path takes of ASCII
_ODD_PATTERN = ("[^\n\x20-\x7e"
                "\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


@functools.cache
def _odd() -> re.Pattern[str]:
    return re.compile(_ODD_PATTERN)  # compiled when first needed: a large class, ~5 ms


def _outside(chunk: str) -> bool:
    """Whether ``chunk`` holds a character YAML reads differently from Python's
    ``str.split("\\n")`` or rejects. Each character is checked once, where it is read: a new
    line (a line read before was checked then), a value's next lines, a literal block."""
    if chunk.isascii():  # any byte left after deleting the plain ones is a tab or a control
        return bool(chunk.encode("ascii").translate(None, _PLAIN_ASCII))
    return _odd().search(chunk) is not None


def _plain(text: str) -> Any:
    """A plain scalar as the safe loader resolves it (str, int, bool, None), else give up."""
    if text in _CONSTANTS:  # bool and null resolve these exact spellings only (and "")
        return _CONSTANTS[text]
    if text[0] in _TYPED_START:
        if _INT.match(text):
            return int(text)
        if any(pattern.match(text) for pattern in _TYPED):
            raise Unsupported
    return text


def _check_plain(text: str) -> None:
    if (text[0] in _SPECIAL_START or ": " in text or " #" in text or text.endswith(":")
            or "\t" in text):
        raise Unsupported


class _Block:
    """A remembered line that opens a literal block (``string: |-``): the block itself is read
    anew from the lines below it each time."""

    __slots__ = ("chomp", "digits", "parent")

    def __init__(self, header: str, parent: int) -> None:
        self.chomp, self.digits = _literal_header(header)
        self.parent = parent


def _builder(value: list[Any] | dict[Any, Any]) -> Callable[[], Any]:
    """What builds a flow collection read from a remembered line anew for each document (a
    list or dict handed out twice would be shared between cassettes): a copy of a template of
    its own, the collections nested in it built anew into the copy."""
    template = value.copy()  # (``value`` itself goes to the document it was read for)
    places = enumerate(template) if isinstance(template, list) else template.items()
    nested = tuple((place, _builder(item)) for place, item in places
                   if isinstance(item, (list, dict)))
    copy = template.copy
    if not nested:
        return copy

    def build() -> Any:
        made = copy()
        for place, inner in nested:
            made[place] = inner()
        return made

    return build


# a plain scalar inside a flow collection, as aws-replay's writer leaves it: no indicator first
# (but "-" before more text), none of ",[]{}:#", no quote and no tab inside, no space at either
# end
_FLOW_CHAR = r"[^\s,\[\]{}:#'\"]"
_FLOW_PLAIN = re.compile(rf"(?![?!&*|>%@`]|-(?!{_FLOW_CHAR})){_FLOW_CHAR}+(?: +{_FLOW_CHAR}+)*")


def _flow(text: str) -> Any:
    """A flow collection written on one line (``[a, 'b c']``, ``{code: 200, message: OK}``,
    nested), in exactly the form aws-replay's writer gives it; else give up."""
    value, end = _flow_node(text, 0)
    if end != len(text):
        raise Unsupported
    return value


def _flow_node(text: str, at: int) -> tuple[Any, int]:
    opener = text[at:at + 1]
    if opener == "[":
        items: list[Any] = []
        if text.startswith("]", at + 1):
            return items, at + 2
        while True:
            item, at = _flow_node(text, at + 1)
            items.append(item)
            if _closes(text, at, "]"):
                return items, at + 1
            at += 1
    if opener == "{":
        mapping: dict[Any, Any] = {}
        if text.startswith("}", at + 1):
            return mapping, at + 2
        while True:
            key, at = _flow_scalar(text, at + 1)
            if not text.startswith(": ", at) or key in mapping:
                raise Unsupported  # a repeated key: the full loader says what it says
            mapping[key], at = _flow_node(text, at + 2)
            if _closes(text, at, "}"):
                return mapping, at + 1
            at += 1
    return _flow_scalar(text, at)


def _closes(text: str, at: int, closer: str) -> bool:
    """After an item: whether ``closer`` ends the collection at ``at`` or ``, `` goes on to
    another item (anything else is outside the subset)."""
    if text.startswith(", ", at):
        return False
    if text.startswith(closer, at):
        return True
    raise Unsupported


def _flow_scalar(text: str, at: int) -> tuple[Any, int]:
    if text.startswith("'", at):
        match = _QUOTED.match(text, at)
        if match is None:
            raise Unsupported
        return match.group(1).replace("''", "'"), match.end()
    match = _FLOW_PLAIN.match(text, at)
    if match is None:
        raise Unsupported
    return _plain(match.group()), match.end()


def _remember_key(name: str) -> None:
    """Check a plain key the first time it is seen (raise :class:`Unsupported` when the full
    loader could read it differently) and remember it."""
    if not name or name[-1] == " ":
        raise Unsupported
    _check_plain(name)
    if not isinstance(_plain(name), str):
        raise Unsupported
    if len(_SEEN_KEYS) < _SEEN_MAX:
        _SEEN_KEYS.add(name)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Reader:
    """Walks the text by line offsets: runs of lines split in one call, a body's literal block
    cut out whole."""

    __slots__ = ("size", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.size = len(text)

    def last_block(self, start: int, prefix: str) -> tuple[int, str | None]:
        """The literal block whose first line starts at ``start``, when it is the document's
        last and runs to its last line or to the column-0 line after it (a cassette's last
        body, before ``version: 1``): its end and its text, without searching line by line.
        The text to the last line is split on a line break and the prefix in one call; a line
        break left in a piece means a line without the prefix, so it is not that block.
        ``(0, None)`` otherwise."""
        text, size = self.text, self.size
        last = text.rfind("\n", 0, size - 1)  # the line break before the last line
        tail = last if last >= 0 and text[last + 1] not in " \n" else size - 1
        if tail < start or text.find("|", start, tail) >= 0:  # another block may follow
            return 0, None
        lines = text[start:tail].split("\n" + prefix)  # the first line's prefix is left
        if "\n" in "".join(lines):
            return 0, None  # a line break not followed by the prefix: not that block
        block = "\n".join(lines)
        if _outside(block):
            raise Unsupported
        return tail, block[len(prefix):]

    def line(self, at: int) -> tuple[str, int]:
        """The line starting at offset ``at`` and the offset of the next one."""
        end = self.text.find("\n", at)
        line = self.text[at:end]
        if not line.isprintable() and _outside(line):
            raise Unsupported
        return line, end + 1

    # ------------------------------------------------------------------------- structure

    def document(self) -> dict[Any, Any]:
        """The whole document: one pass over its lines with a stack of open collections (no
        call per node: each line says by its indentation and a leading "- " where it goes).
        The lines up to the next line holding a ``|`` (so up to the next literal block's
        header) are split in one call; a value running over several lines ends the run, and
        the lines after it are split anew."""
        text, size = self.text, self.size
        root: dict[Any, Any] = {}
        outer: list[tuple[int, Any, bool]] = []  # the collections the current one is inside
        column, container, in_list = 0, cast(Any, root), False
        nothing = _NOTHING
        waiting: Any = nothing  # a key (or an item: _ITEM) whose value is the node below
        fast = 0  # the column where a remembered "key: value" line goes straight in
        find, known_line = text.find, _LINES.get  # (locals: this loop runs once per line)
        at = 0
        while at < size:
            bar = find("|", at)
            # no literal block starts before the line holding the next "|" ends
            lines = text[at:size - 1 if bar < 0 else find("\n", bar)].split("\n")
            for line in lines:
                known = known_line(line)
                if known is not None:  # a line read before (method: POST, status:, ...)
                    fast_column, key, value, indent, dash, build, width = known
                    at += width  # now the next line's offset
                    if build is not None:  # a flow collection: a new one each time
                        value = build()
                    if fast_column == fast:  # the common case: key: value, in place
                        if key in container:  # (``at`` is this line's end)
                            raise DuplicateKey(key, text.count("\n", 0, at))
                        container[key] = value
                        continue
                    if fast_column > column and waiting is not nothing:
                        # key: value below a key (or "-") waiting for its value: the first
                        # key of the mapping that is that value
                        new: Any = {key: value}
                        if waiting is _ITEM:
                            container.append(new)
                        else:
                            container[waiting] = new
                        outer.append((column, container, in_list))
                        column = fast = fast_column
                        container, in_list, waiting = new, False, nothing
                        continue
                    line_end = after = at
                    if value.__class__ is _Block:  # string: |- (its block is this body's)
                        value, after = self.literal(value.chomp, value.digits, line_end,
                                                    value.parent)
                else:
                    line_end = at + len(line) + 1
                    indent, dash, key, value, after = self.entry(line, at, line_end)
                    at = line_end
                if waiting is nothing and not dash and after == line_end:
                    # a key after the collection above it closed (response:, version: 1), a
                    # key alone in place (headers:), or a new line's "key: value" in place:
                    # what the general steps below do for such a line, without the steps it
                    # never needs
                    while indent < column or (in_list and indent == column):
                        column, container, in_list = outer.pop()  # (never past the root)
                    if indent != column:
                        raise Unsupported
                    if key in container:
                        raise DuplicateKey(key, text.count("\n", 0, line_end))
                    if value is nothing:
                        waiting, fast = key, _NONE_IN_PLACE
                    else:
                        container[key] = value
                        fast = column
                    continue
                if waiting is not nothing:
                    if indent > column or (indent == column and dash and not in_list
                                           and waiting is not _ITEM):
                        # the value is the block collection starting here (a list may sit
                        # at its key's own indentation)
                        new = [] if dash else {}
                        if waiting is _ITEM:
                            container.append(new)
                        else:
                            container[waiting] = new
                        outer.append((column, container, in_list))
                        column, container, in_list = indent, new, dash
                    elif waiting is _ITEM:
                        container.append(None)
                    else:
                        container[waiting] = None
                    waiting = nothing
                while indent < column or (in_list and indent == column and not dash):
                    # (the root mapping is at column 0: no line is left of it, and it is no
                    # list, so the loop stops there)
                    column, container, in_list = outer.pop()
                if indent != column:
                    raise Unsupported  # deeper than its collection: nothing else may be
                if in_list and key is nothing:  # a plain item
                    if value is nothing:
                        waiting = _ITEM  # "-" alone: the item is the block below
                    else:
                        container.append(value)
                else:
                    if in_list:
                        new = {}  # "- key: ...": the item is a mapping starting on this line
                        container.append(new)
                        outer.append((column, container, in_list))
                        column, container, in_list = column + 2, new, False
                    elif dash:
                        raise Unsupported  # an item where a key belongs
                    if key in container:
                        raise DuplicateKey(key, text.count("\n", 0, line_end))
                    if value is nothing:
                        waiting = key
                    else:
                        container[key] = value
                fast = column if waiting is nothing and not in_list else _NONE_IN_PLACE
                at = after
                if after != line_end:
                    break  # the value ran over more lines: split again after it
        if waiting is _ITEM:
            container.append(None)
        elif waiting is not _NOTHING:
            container[waiting] = None
        return root

    def entry(self, line: str, at: int, after: int) -> tuple[int, bool, Any, Any, int]:
        """What the line at ``at`` holds: its indentation, whether it is an item, its key
        (:data:`_NOTHING` for a plain item) and value (:data:`_NOTHING`: the node below), and
        the offset after its value (a quoted, literal or folded value spans lines). A line
        holding only short plain scalars is remembered."""
        if not line.isprintable() and _outside(line):
            raise Unsupported
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        if not content:
            raise Unsupported  # a blank line
        colon = content.find(": ")
        # the common new line: a known plain key, a value quoted on this line, no quote inside
        # (a key starting with "-" or a quote is never a known one)
        if (colon > 0 and content[-1] == "'" and colon + 3 < len(content)
                and content[colon + 2] == "'" and content.find("'", colon + 3, -1) < 0
                and content[:colon] in _SEEN_KEYS):
            key, value = content[:colon], content[colon + 3:-1]
            _remember(line, indent, False, key, value)
            return indent, False, key, value, after
        dash = content[0] == "-" and (len(content) == 1 or content[1] == " ")
        column = indent
        if dash:
            if len(content) == 1:
                return indent, True, _NOTHING, _NOTHING, after
            content = content[2:]
            if not content or content[0] == " " or content.startswith("- ") or content == "-":
                raise Unsupported
            if not _starts_mapping(content):
                value, end = self.inline(content, at, after, column)
                if end == after and content[0] not in "[{":  # a scalar on this line
                    _remember(line, indent, True, _NOTHING, value)
                return indent, True, _NOTHING, value, end
            column += 2  # the item's mapping: its first key follows "- "
        key, rest = self.key(content)
        if not rest:
            _remember(line, indent, dash, key, _NOTHING)
            return indent, dash, key, _NOTHING, after
        value, end = self.inline(rest, at, after, column)
        if rest[0] == "|":
            _remember(line, indent, dash, key, _Block(rest, column))
        elif end == after:
            # a flow collection (frozen when remembered), or a plain value or a quoted one
            # closed on this line (a str, int, bool, None)
            _remember(line, indent, dash, key, value,
                      _FLOW_LINE_MAX if rest[0] in "[{" else _SCALAR_LINE_MAX)
        return indent, dash, key, value, end

    def key(self, body: str) -> tuple[Any, str]:
        """The key at the start of ``body`` and the text after ``: ``."""
        if body[0] == "'":
            match = _QUOTED.match(body)
            if match is None or body[match.end():match.end() + 1] != ":":
                raise Unsupported
            after = body[match.end() + 1:]
            if after and after[0] != " ":
                raise Unsupported
            return match.group(1).replace("''", "'"), after[1:]
        at = body.find(": ")
        if at < 0:
            if not body.endswith(":"):
                raise Unsupported
            at = len(body) - 1
        name = body[:at]
        if name not in _SEEN_KEYS:
            _remember_key(name)
        return name, body[at + 2:]

    # --------------------------------------------------------------------------- scalars

    def inline(self, rest: str, at: int, after: int, parent: int) -> tuple[Any, int]:
        """The value written after ``key:`` or ``-`` on the line at ``at`` (``after`` is the
        next line's offset); the offset where the next node starts."""
        first = rest[0]
        if first == " ":
            raise Unsupported
        if first == "'":
            return self.quoted(rest, after, parent)
        if first == "|":
            chomp, digits = _LITERAL_HEADERS.get(rest) or _literal_header(rest)
            return self.literal(chomp, digits, after, parent)
        if first in "[{":  # a flow collection, on this line
            return _flow(rest.rstrip(" ")), after
        rest = rest.rstrip(" ")
        if rest not in _SEEN_VALUES:
            _check_plain(rest)
        if after < self.size and self.text.startswith(" " * (parent + 1), after):
            parts = [rest]  # a plain scalar folded over more lines
            while after < self.size:
                line, following = self.line(after)
                if _indent(line) <= parent:
                    break
                more = line.strip(" ")
                if not more:
                    raise Unsupported
                _check_plain(more)
                parts.append(more)
                after = following
            return " ".join(parts), after
        value = _SEEN_VALUES.get(rest, _MISSING)
        if value is _MISSING:
            value = _plain(rest)
            if (len(_SEEN_VALUES) < _SEEN_MAX and len(rest) <= 64
                    and _VALUES_ONCE.again(rest)):
                _SEEN_VALUES[rest] = value
        return value, after

    def quoted(self, rest: str, after: int, parent: int) -> tuple[str, int]:
        if rest[-1] == "'" and len(rest) > 1 and rest.find("'", 1, -1) < 0:
            return rest[1:-1], after  # the common case: one line, no quote inside
        match = _QUOTED.match(rest)
        if match is not None:
            if rest[match.end():].strip(" "):
                raise Unsupported
            return match.group(1).replace("''", "'"), after
        pieces = [rest[1:].rstrip(" ")]
        if not pieces[0]:
            raise Unsupported
        while True:
            if after >= self.size:
                raise Unsupported
            raw, after = self.line(after)
            if raw and _indent(raw) <= parent:
                raise Unsupported
            line = raw.strip(" ")
            match = _QUOTED.match("'" + line)
            if match is not None:
                if line[match.end() - 1:].strip(" "):
                    raise Unsupported
                pieces.append(match.group(1))
                break
            pieces.append(line)
        folded = pieces[0]
        breaks = 0
        for piece in pieces[1:]:
            if not piece:
                breaks += 1
                continue
            folded += ("\n" * breaks if breaks else " ") + piece
            breaks = 0
        if breaks:
            raise Unsupported
        return folded.replace("''", "'"), after

    def literal(self, chomp: str, digits: int, start: int, parent: int) -> tuple[str, int]:
        """A literal block scalar whose first line starts at offset ``start`` (its header's
        chomping and indentation indicators as :func:`_literal_header` reads them)."""
        text, size = self.text, self.size
        if start >= size:
            raise Unsupported
        first = text[start:text.find("\n", start)]
        width = parent + digits if digits else len(first) - len(first.lstrip(" "))
        prefix = " " * width
        if width <= parent or not first.startswith(prefix) or width == len(first):
            raise Unsupported
        end, block = self.last_block(start, prefix)
        if block is None:
            ender = _BLOCK_END.get(width)
            if ender is None:
                ender = _BLOCK_END[width] = re.compile(f"\n(?!{prefix})")
            stop = start - 1
            while True:  # the first line that is neither the block's nor empty
                found = ender.search(text, stop)
                end = found.start() if found is not None else size - 1
                if not text.startswith("\n\n", end):
                    break
                stop = end + 1
            block = text[start + width:end]
            if _outside(block):
                raise Unsupported
            block = block.replace("\n" + prefix, "\n")
        after = end + 1
        if (after < size and text[after] in " \n"
                and not text[after:text.find("\n", after)].strip(" ")):
            raise Unsupported  # a line of blanks shorter than the block's indentation
        body = block.rstrip("\n")
        if chomp == "-":
            return body, after
        if chomp == "+":
            return body + "\n" * (len(block) - len(body) + 1), after
        return body + "\n", after


def _remember(line: str, indent: int, dash: bool, key: Any, value: Any,
              longest: int = _SCALAR_LINE_MAX) -> None:
    """Keep what ``line`` holds (as entry() gives it) for its next reading, once it has been
    read twice (each cassette's own lines never recur), while the cache has room."""
    if len(_LINES) < _SEEN_MAX and len(line) <= longest and _LINES_ONCE.again(line):
        simple = (not dash and key is not _NOTHING and value is not _NOTHING
                  and value.__class__ is not _Block)
        build: Callable[[], Any] | None = None
        if isinstance(value, (list, dict)):  # a flow collection: built anew for each reading
            build, value = _builder(value), None
        _LINES[line] = (indent if simple else _NEVER_IN_PLACE, key, value, indent, dash, build,
                        len(line) + 1)


def _literal_header(rest: str) -> tuple[str, int]:
    """A literal block's header (``|``, ``|-``, ``|+``, ``|2-``...): its chomping indicator and
    its indentation indicator (0: none), checked and remembered."""
    header = rest.rstrip(" ")
    chomp = header[-1] if header[-1] in "-+" else ""
    digits = header[1:len(header) - len(chomp)]
    if digits and (not digits.isdigit() or len(digits) != 1 or digits == "0"):
        raise Unsupported
    parsed = chomp, int(digits or 0)
    if len(_LITERAL_HEADERS) < 64:
        _LITERAL_HEADERS[rest] = parsed
    return parsed


def _starts_mapping(content: str) -> bool:
    if content[0] in "[{":
        return False  # a flow collection (its ": " is inside)
    if content[0] == "'":
        match = _QUOTED.match(content)
        return match is not None and content[match.end():match.end() + 1] == ":"
    return ": " in content or content.endswith(":")


def load(text: str) -> dict[Any, Any]:
    """The document as the safe loader builds it; raises :class:`Unsupported` when the text is
    outside the subset and :class:`DuplicateKey` on a repeated key."""
    if not text.endswith("\n") or text.startswith(("%", "---", " ")):
        raise Unsupported
    try:
        return _Reader(text).document()
    except Unsupported:
        if "\r\n" not in text:
            raise
    # CRLF line ends (a checkout with git's core.autocrlf): YAML reads each CRLF as one line
    # break, in scalars too, so the text with LF alone is the same document (the first line
    # gave up at once: its CR is a control character; a lone CR still gives up)
    return _Reader(text.replace("\r\n", "\n")).document()
