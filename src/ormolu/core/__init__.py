"""The sans-I/O core: the operation protocol, the session state and the operations."""
