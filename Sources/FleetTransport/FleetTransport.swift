// The FleetTransport module: filled in by the foundation issue.
