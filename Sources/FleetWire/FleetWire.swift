// The FleetWire module: filled in by the foundation issue.
