"""The service layer: one function per use case, each authorising, validating and committing
in one unit of work. Route handlers and the CLI parse, call one of these, and render."""
