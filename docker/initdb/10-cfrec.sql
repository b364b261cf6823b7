-- Runs once, on the first start of an empty data volume, in POSTGRES_DB.
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS cfrec;
-- The exporter reads cfrec's views with a role of its own.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cfrec_exporter') THEN
        CREATE ROLE cfrec_exporter LOGIN PASSWORD 'exporter' IN ROLE pg_monitor;
    END IF;
END $$;
