"""Parse untrusted XML safely, and walk it with paths a sender can follow back to the offending element.

Safety rules (defusedxml underneath, on expat):
- the size limit is checked before a single byte is parsed (code too_large);
- any entity declaration (internal or external, general or parameter) is refused at the declaration, so XXE and
  billion-laughs payloads fail fast, before any expansion (code unsafe_xml);
- a DOCTYPE is refused unless the caller allows that document type by name (cXML documents carry
  `<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/...">`; UBL never carries one), and an allowed DOCTYPE may not have an
  internal subset: none of the accepted formats needs one. The external DTD it names is never fetched: expat does
  not load external DTDs, and any external entity reference is refused on top;
- anything not well-formed is code malformed, located by line and (1-based) column.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.parsers import expat

from defusedxml.ElementTree import DefusedXMLParser  # type: ignore[import-untyped]

from matching.intake.canonical import DEFAULT_MAX_BYTES, DOCUMENT_PATH, DocumentError, check_size, refuse

__all__ = ["DEFAULT_MAX_BYTES", "ParsedXml", "XmlNode", "local_name", "parse_xml", "unsupported_root"]


class _UnsafeXmlError(Exception):
    """Raised from inside expat's callbacks; turned into a DocumentError once the parser has unwound."""

    def __init__(self, line: int, message: str) -> None:
        """Remember where the refused declaration starts."""
        super().__init__(message)
        self.line = line
        self.message = message


class _GuardedParser(DefusedXMLParser):
    """defusedxml's parser with DOCTYPEs allowed only by name, and refusals that say where they happened."""

    def __init__(self, allowed_doctypes: Collection[str]) -> None:
        """Forbid entities and external references; vet DOCTYPEs ourselves."""
        super().__init__(target=TreeBuilder(), forbid_dtd=False, forbid_entities=True, forbid_external=True)
        self.allowed_doctypes = allowed_doctypes
        self.doctype: str | None = None
        self.parser.StartDoctypeDeclHandler = self._doctype_declared

    def _line(self) -> int:
        """The line expat is on."""
        line: int = self.parser.CurrentLineNumber
        return line

    def _doctype_declared(self, name: str, system_id: str | None, public_id: str | None, has_subset: int) -> None:
        """Allow a named external DTD reference (never loaded); refuse everything else."""
        if name not in self.allowed_doctypes:
            raise _UnsafeXmlError(self._line(), f"a DOCTYPE ({name}) is not allowed in this kind of document")
        if has_subset:
            raise _UnsafeXmlError(self._line(), "a DOCTYPE with an internal subset ([...]) is not allowed")
        self.doctype = name

    def defused_entity_decl(self, name: str, *_details: object) -> None:
        """Refuse entity declarations: they are how XXE and entity-expansion bombs start."""
        raise _UnsafeXmlError(self._line(), f"entity declarations are not allowed (entity {name!r})")

    def defused_unparsed_entity_decl(self, name: str, *_details: object) -> None:
        """Refuse unparsed (NDATA) entity declarations too."""
        raise _UnsafeXmlError(self._line(), f"entity declarations are not allowed (entity {name!r})")

    def defused_external_entity_ref_handler(self, _context: object, _base: object, system_id: str, *_: object) -> None:
        """Refuse to resolve anything external."""
        raise _UnsafeXmlError(self._line(), f"external references are not allowed ({system_id!r})")


@dataclass(frozen=True, slots=True)
class ParsedXml:
    """A parsed document's root element and the name its DOCTYPE gave (None without one)."""

    root: Element
    doctype: str | None


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, allowed_doctypes: Collection[str] = ()) -> ParsedXml:
    """Parse untrusted XML bytes, or raise DocumentError (too_large, unsafe_xml or malformed)."""
    check_size(data, max_bytes)
    parser = _GuardedParser(allowed_doctypes)
    try:
        parser.feed(data)
        root: Element = parser.close()
    except _UnsafeXmlError as unsafe:
        raise refuse("unsafe_xml", f"line {unsafe.line}", unsafe.message) from None
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        code = getattr(error, "code", None)
        reason = expat.ErrorString(code) if isinstance(code, int) else str(error)
        raise refuse("malformed", f"line {line}, column {column + 1}", f"XML syntax error: {reason}") from None
    except (ValueError, LookupError) as error:
        # defusedxml's own refusals are ValueErrors; an unknown declared encoding is a LookupError.
        raise refuse("malformed", DOCUMENT_PATH, f"unreadable XML: {error}") from None
    if parser.doctype is not None and parser.doctype != local_name(root.tag):
        raise refuse(
            "unsafe_xml", f"/{local_name(root.tag)}", f"the DOCTYPE ({parser.doctype}) does not name the root element"
        )
    return ParsedXml(root=root, doctype=parser.doctype)


def local_name(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rpartition("}")[2]


def namespace_of(tag: str) -> str:
    """An element's namespace URI ("" for none)."""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


@dataclass(frozen=True, slots=True)
class XmlNode:
    """An element with the path that leads to it, written with the format's usual prefixes (cbc:ID)."""

    element: Element
    path: str
    prefixes: Mapping[str, str]  # prefix -> namespace URI, for names such as "cbc:ID"

    @classmethod
    def root_of(cls, root: Element, prefixes: Mapping[str, str]) -> XmlNode:
        """The node for a document's root, named by its local name."""
        return cls(root, f"/{local_name(root.tag)}", prefixes)

    def _tag(self, name: str) -> str:
        """The ElementTree tag ({uri}local) for a prefixed name."""
        prefix, _, local = name.rpartition(":")
        return f"{{{self.prefixes[prefix]}}}{local}" if prefix else local

    def path_to(self, *names: str) -> str:
        """The path of a (possibly missing) descendant, for error messages."""
        return "/".join((self.path, *names))

    def attribute_path(self, name: str) -> str:
        """The path of one of this element's attributes."""
        return f"{self.path}/@{name}"

    def child(self, name: str) -> XmlNode | None:
        """The first direct child of that name, if any."""
        found = self.element.find(self._tag(name))
        return None if found is None else XmlNode(found, f"{self.path}/{name}", self.prefixes)

    def children(self, name: str) -> list[XmlNode]:
        """All direct children of that name, each path numbered from 1 as XPath does."""
        return [
            XmlNode(found, f"{self.path}/{name}[{index}]", self.prefixes)
            for index, found in enumerate(self.element.findall(self._tag(name)), start=1)
        ]

    def find(self, *names: str) -> XmlNode | None:
        """The node at a chain of first children, if every step exists."""
        node: XmlNode | None = self
        for name in names:
            if node is None:
                return None
            node = node.child(name)
        return node

    def text_at(self, *names: str) -> str:
        """The stripped text at a chain of first children ("" when any step is missing)."""
        node = self.find(*names)
        return node.text if node is not None else ""

    @property
    def text(self) -> str:
        """This element's own leading text, stripped."""
        return (self.element.text or "").strip()

    def attribute(self, name: str) -> str:
        """An attribute's stripped value ("" when absent)."""
        return (self.element.get(name) or "").strip()


def unsupported_root(root: Element, expected: str) -> DocumentError:
    """The error for a well-formed document of a kind this parser does not read."""
    return refuse("unsupported_document", f"/{local_name(root.tag)}", f"the root element is not {expected}")
