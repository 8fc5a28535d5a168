"""Sessions: identity map, unit of work front end, transactions and savepoints."""
