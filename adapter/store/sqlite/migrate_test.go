package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store/internal/sqlstore"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// TestMigrateRowidResources opens a database made by the first migration
// only, with a record, a resource in two versions and its identifier:
// migration 2 turns resources and resource_versions into rowid tables
// and keeps every row, readable through the store as before.
func TestMigrateRowidResources(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	ms, err := sqlstore.LoadMigrations(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	w, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	if err := sqlstore.Migrate(ctx, sqlstore.SQLDB{Writer: w, Reader: w}, ms[:1], "", time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`INSERT INTO records (kind, id, version, patient_id, body, origin, seq, updated_us) VALUES ('administration', 'a1', 2, 'p1', '{}', 'clinic', 1, 5)`,
		`INSERT INTO resources (type, id, version_id, last_updated_us, patient_id, status, date, date_start_us, date_end_us, identifiers, refs, body, deleted, source_kind, source_id, ord)
VALUES ('MedicationAdministration', 'ma1', 2, 5, 'pt', 'completed', '2026-03-02', 10, 20, '["urn:x|a1"]', '{}', '{"v":2}', 0, 'administration', 'a1', 0)`,
		`INSERT INTO resource_versions (type, id, version_id, last_updated_us, patient_id, status, date, identifiers, refs, body, deleted, source_kind, source_id)
VALUES ('MedicationAdministration', 'ma1', 1, 4, 'pt', 'in-progress', '2026-03-02', '["urn:x|a1"]', '{}', '{"v":1}', 0, 'administration', 'a1'),
       ('MedicationAdministration', 'ma1', 2, 5, 'pt', 'completed', '2026-03-02', '["urn:x|a1"]', '{}', '{"v":2}', 0, 'administration', 'a1')`,
		`INSERT INTO resource_identifiers (type, id, system, value) VALUES ('MedicationAdministration', 'ma1', 'urn:x', 'a1')`,
	} {
		if _, err := w.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	s := openDir(t, dir)
	cur, err := s.GetResource(ctx, "MedicationAdministration", "ma1")
	if err != nil || cur.VersionID != 2 || string(cur.Body) != `{"v":2}` || cur.Status != "completed" || cur.SourceKind != clinic.KindAdministration {
		t.Fatalf("GetResource after migration = %+v, %v", cur, err)
	}
	v1, err := s.GetResourceVersion(ctx, "MedicationAdministration", "ma1", 1)
	if err != nil || string(v1.Body) != `{"v":1}` {
		t.Fatalf("vread version 1 after migration = %+v, %v", v1, err)
	}
	rs, err := s.ResourcesOf(ctx, clinic.KindAdministration, "a1")
	if err != nil || len(rs) != 1 {
		t.Fatalf("ResourcesOf after migration = %d resources, %v", len(rs), err)
	}
	for _, table := range []string{"resources", "resource_versions"} {
		var ok int
		if err := s.db.Reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_list WHERE name = $1 AND wr = 0`, table).Scan(&ok); err != nil || ok != 1 {
			t.Errorf("%s is not a rowid table after migration (%d, %v)", table, ok, err)
		}
	}
	var idx int
	if err := s.db.Reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'resources' AND name LIKE 'resources_%'`).Scan(&idx); err != nil || idx != 4 {
		t.Errorf("resources has %d of its 4 search indexes after migration, %v", idx, err)
	}
}
