"""One entry point for inbound invoice documents: pick the parser from the content type (and, for XML, the root).

Decisions:
- media types are compared without parameters and case-insensitively ("text/xml; charset=utf-8" is text/xml);
- XML is parsed once with the cXML DOCTYPE allowed, then dispatched on the root element: a UBL root that came with
  any DOCTYPE is refused as unsafe_xml, exactly as parse_ubl would refuse it;
- text/plain is only accepted when it is an X12 interchange (starts with ISA, after blanks);
- a well-formed XML document of another kind (an unknown root) is unsupported_document.
"""

from __future__ import annotations

from matching.intake.canonical import DOCUMENT_PATH, CanonicalInvoice, check_size, refuse
from matching.intake.cxml import CXML_DOCTYPES, cxml_invoice, is_cxml_root
from matching.intake.ubl import is_ubl_root, ubl_invoice
from matching.intake.x12 import looks_like_x12, parse_x12_810
from matching.intake.xml_safety import local_name, parse_xml

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
XML_TYPES = frozenset({"application/xml", "text/xml", "application/ubl+xml"})
X12_TYPES = frozenset({"application/x12", "application/edi-x12"})
PLAIN_TEXT = "text/plain"
ACCEPTED_TYPES = (*sorted(XML_TYPES), *sorted(X12_TYPES), f"{PLAIN_TEXT} (X12 only)")


def parse_document(data: bytes, content_type: str, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> CanonicalInvoice:
    """Parse an inbound invoice document of any accepted format, or raise DocumentError."""
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type in XML_TYPES:
        return _xml_document(data, max_bytes)
    if media_type in X12_TYPES:
        return parse_x12_810(data, max_bytes=max_bytes)
    if media_type == PLAIN_TEXT:
        check_size(data, max_bytes)
        if looks_like_x12(data):
            return parse_x12_810(data, max_bytes=max_bytes)
        raise refuse("unsupported_document", DOCUMENT_PATH, "text/plain is accepted only for X12 (starting with ISA)")
    raise refuse(
        "unsupported_document",
        DOCUMENT_PATH,
        f"content type {content_type[:60]!r} is not accepted; send one of: {', '.join(ACCEPTED_TYPES)}",
    )


def _xml_document(data: bytes, max_bytes: int) -> CanonicalInvoice:
    """Parse XML once, then hand the tree to the parser its root calls for."""
    parsed = parse_xml(data, max_bytes=max_bytes, allowed_doctypes=CXML_DOCTYPES)
    root = parsed.root
    if is_cxml_root(root):
        return cxml_invoice(root)
    if is_ubl_root(root):
        if parsed.doctype is not None:
            raise refuse("unsafe_xml", f"/{local_name(root.tag)}", "a UBL document may not carry a DOCTYPE")
        return ubl_invoice(root)
    raise refuse(
        "unsupported_document",
        f"/{local_name(root.tag)}",
        "the root element is none of UBL 2.1 Invoice, UBL 2.1 CreditNote or cXML",
    )
