"""Schema: column types, tables, constraints and DDL."""
