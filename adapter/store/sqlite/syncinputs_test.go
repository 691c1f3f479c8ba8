package sqlite

import (
	"testing"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/storetest"
)

func TestSyncInputs(t *testing.T) {
	storetest.RunSyncInputs(t, func(t *testing.T, opts ...store.Option) store.Store {
		return openDir(t, t.TempDir(), opts...)
	})
}

func TestCompleteBatchMatchesSingle(t *testing.T) {
	storetest.RunCompleteBatchMatchesSingle(t, func(t *testing.T, opts ...store.Option) store.Store {
		return openDir(t, t.TempDir(), opts...)
	})
}
