"""Pages of the vendors section, one module per page group (search, vendor, proposals, bank, changes, queues)."""
