"""Message templates and catalogs (data): templates/<platform>/<locale>/<kind>.j2, catalog/<locale>.yaml."""
