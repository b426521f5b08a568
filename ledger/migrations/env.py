"""Alembic's environment: the ledger's URL comes from the config the store builds."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from ledger.tables import Base

config = context.config
connection = config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as opened:
        context.configure(connection=opened, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
