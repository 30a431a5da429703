"""Database access: engine factory, models, write transactions with retry, migrations."""
