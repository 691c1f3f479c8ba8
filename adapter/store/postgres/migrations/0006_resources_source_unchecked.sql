-- A resource's source record is guaranteed by the writes themselves:
-- a record write inserts or locks its record row in the transaction that
-- writes its projection, PutResources locks each source record and
-- refuses an absent one (ErrNotFound, storetest "PutResources"), and
-- records are never deleted. The foreign key checked it again with one
-- SPI query and row lock per resource written, four for each
-- administration: 15-18 µs a record (pg_stat_statements under ivload)
-- and a dirtied records page. SQLite, one writer with no such cost,
-- keeps its key.
ALTER TABLE resources DROP CONSTRAINT IF EXISTS resources_source_kind_source_id_fkey;
