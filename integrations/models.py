"""ERP and procurement connectors: models arrive with the issue that builds this app."""
