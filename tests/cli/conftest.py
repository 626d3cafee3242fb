from cli_support import no_ambient_secrets, receiver  # noqa: F401  (fixtures)
