"""Built-in routers. Each is loaded by the router registry, like an ERP's own routers."""
