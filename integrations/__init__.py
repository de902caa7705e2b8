"""ERP and procurement connectors."""
