"""Invoice intake, matching and the AP exception workbench."""
