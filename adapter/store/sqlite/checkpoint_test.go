package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// TestBackgroundCheckpoint checks that the WAL still reaches the database
// file with the writer's automatic checkpoint turned off: after a few
// checkpointEvery writes the background checkpointer copies the pages
// into the file, which grows. (Without it the file would keep its
// initial size and the WAL would grow without bound.) The wait is only
// a bound for a checkpointer that never runs, not a speed assertion.
func TestBackgroundCheckpoint(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	file := filepath.Join(dir, FileName)
	size := func() int64 {
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	ctx := context.Background()
	for i := range 3 * checkpointEvery {
		w := store.Write{Kind: clinic.KindPatient, ID: fmt.Sprintf("p%d", i), Version: 1, PatientID: fmt.Sprintf("p%d", i),
			Body: fmt.Appendf(nil, `{"kind":"patient","id":"p%d","version":1,"pad":"%0800d"}`, i, i), Origin: store.OriginClinic, Enqueue: true}
		if _, err := s.PutRecord(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for size() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes after %d writes: no checkpoint ran", before, 3*checkpointEvery)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
