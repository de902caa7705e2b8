"""The AP workbench's services: claims and leases, the clerk's actions, bulk actions and the periodic sweep."""
