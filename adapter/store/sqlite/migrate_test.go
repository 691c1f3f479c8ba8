package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/internal/sqlstore"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// TestMigrateFromFirstSchema opens a database made by the first migration
// only, with a record, a resource in two versions and its identifier.
// Migration 2 turns resources and resource_versions into rowid tables;
// migration 3 drops the copy of the current version from
// resource_versions and rekeys resource_identifiers. Every version and
// the identifier stay readable through the store, and the next write
// keeps the version it replaces.
func TestMigrateFromFirstSchema(t *testing.T) {
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
	if err := s.db.Reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'resources' AND name LIKE 'resources_%'`).Scan(&idx); err != nil || idx != 3 {
		t.Errorf("resources has %d of its 3 search indexes after migration, %v", idx, err)
	}
	var copies int
	if err := s.db.Reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM resource_versions WHERE version_id = 2`).Scan(&copies); err != nil || copies != 0 {
		t.Errorf("resource_versions still holds the current version (%d rows, %v)", copies, err)
	}
	page, err := s.SearchResources(ctx, store.ResourceQuery{Type: "MedicationAdministration", Identifier: "urn:x|a1"})
	if err != nil || page.Total != 1 {
		t.Errorf("identifier search after migration = %+v, %v", page, err)
	}
	if _, err := s.PutRecord(ctx, store.Write{Kind: clinic.KindAdministration, ID: "a1", Version: 3, PatientID: "p1",
		Body: []byte(`{"v":3}`), Origin: store.OriginClinic, Resources: []store.Resource{{
			Type: "MedicationAdministration", ID: "ma1", PatientID: "pt", Status: "stopped",
			Identifiers: []string{"urn:x|a1b"}, Body: []byte(`{"v":3}`)}}}); err != nil {
		t.Fatal(err)
	}
	for v, body := range map[int]string{1: `{"v":1}`, 2: `{"v":2}`, 3: `{"v":3}`} {
		r, err := s.GetResourceVersion(ctx, "MedicationAdministration", "ma1", v)
		if err != nil || string(r.Body) != body {
			t.Errorf("vread version %d after an update = %+v, %v", v, r, err)
		}
	}
	for ident, want := range map[string]int{"urn:x|a1": 0, "urn:x|a1b": 1} {
		page, err := s.SearchResources(ctx, store.ResourceQuery{Type: "MedicationAdministration", Identifier: ident})
		if err != nil || page.Total != want {
			t.Errorf("search %s after an update = %d, %v; want %d", ident, page.Total, err, want)
		}
	}
}
