-- Resource bodies are JSON of 1 to 4 KiB, past the 2 KiB at which
-- PostgreSQL compresses a row's values. pglz, the default, was 6% of the
-- server's CPU under a write load (perf, ivload); lz4 compresses JSON
-- almost as well at a fraction of the cost. Rows written before keep
-- their pglz values, which stay readable. A server built without lz4
-- keeps pglz.
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_settings
		WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
		ALTER TABLE resources ALTER COLUMN body SET COMPRESSION lz4;
		ALTER TABLE resource_versions ALTER COLUMN body SET COMPRESSION lz4;
		ALTER TABLE records ALTER COLUMN body SET COMPRESSION lz4;
	END IF;
END
$$;
