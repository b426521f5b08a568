"""The case ledger: a row per case in a real database (SQLite by default, PostgreSQL when
`DUNNING_DATABASE_URL` names it), kept beyond the namespace's retention for finance's
KPIs and for learning."""
