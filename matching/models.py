"""Invoice intake, matching and the AP exception workbench: models arrive with the issue that builds this app."""
