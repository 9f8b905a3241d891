"""The Nomad API double's resources: one module per Nomad resource, each with one handler class and
its ROUTES table (see ../README.md, "Adding a resource"). server.py finds every module here."""
