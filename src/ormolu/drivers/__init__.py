"""Drivers: the only code that touches a database driver. Each module imports its driver
lazily, executes SQL, and maps the driver's errors to ormolu's exceptions."""
