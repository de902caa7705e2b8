"""Inbound invoice documents (UBL 2.1, cXML, X12 810) parsed into one canonical record, without the database."""
