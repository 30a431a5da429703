"""ERP domain logic: plain functions that take a SQLAlchemy session. No HTTP here."""
