from effects_support import http_server, smtp_server, store  # noqa: F401  (fixtures)
