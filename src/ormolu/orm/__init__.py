"""The ORM: models, mapping, identity map, unit of work, queries and row loading."""
