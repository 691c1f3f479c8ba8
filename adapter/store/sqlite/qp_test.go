package sqlite
import ("context";"database/sql";"fmt";"path/filepath";"testing";"time"
	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic")
func TestQP(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	ctx := context.Background()
	for i := range 1000 {
		id := fmt.Sprintf("ad-%d", i)
		patient := fmt.Sprintf("p-%d", i%50)
		_, err := s.PutRecord(ctx, store.Write{Kind: clinic.KindAdministration, ID: id, Version: 1, PatientID: patient, Body: []byte("{}"), Origin: store.OriginClinic, Enqueue: true,
			Resources: []store.Resource{{Type: "MedicationAdministration", ID: "ma-" + id, PatientID: patient, Status: "completed", Date: fmt.Sprintf("2026-03-%02dT09:00:00Z", 1+i%28), Identifiers: []string{"urn:x|" + id}, Body: []byte("{}")}}})
		if err != nil { t.Fatal(err) }
	}
	db, _ := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	defer db.Close()
	rows, _ := db.Query("SELECT tbl, idx, stat FROM sqlite_stat1")
	for rows.Next() { var a, b, c sql.NullString; rows.Scan(&a, &b, &c); t.Log(a, b, c) }
	rows.Close()
	for _, q := range []string{
		`SELECT r.id FROM resources r WHERE r.deleted = 0 AND r.type = 'MedicationAdministration' AND (r.type, r.id) IN (SELECT ri.type, ri.id FROM resource_identifiers ri WHERE ri.system = 'urn:x' AND ri.value = 'ad-5') ORDER BY r.last_updated_us, r.type, r.id`,
		`SELECT COUNT(*) FROM resources r WHERE r.deleted = 0 AND r.type = 'MedicationAdministration' AND r.patient_id = 'p-3' AND r.date_start_us IS NOT NULL AND r.date_end_us > 5`,
		`SELECT r.id FROM resources r WHERE r.deleted = 0 AND r.type = 'MedicationAdministration' AND r.patient_id = 'p-3' AND r.date_start_us IS NOT NULL AND r.date_end_us > 5 ORDER BY r.last_updated_us, r.type, r.id LIMIT 20`,
	} {
		rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q)
		if err != nil { t.Fatal(err) }
		for rows.Next() { var a, b, c int; var d string; rows.Scan(&a, &b, &c, &d); t.Log(d) }
		rows.Close()
		t0 := time.Now()
		for range 100 { r, _ := db.Query(q); for r.Next() {}; r.Close() }
		t.Log("--", time.Since(t0)/100)
	}
}
