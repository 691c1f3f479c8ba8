package postgres

import (
	"testing"

	"github.com/ivbridge/ivbridge/adapter/store/storetest"
)

func TestSyncInputs(t *testing.T) {
	testDSN(t)
	storetest.RunSyncInputs(t, openTest)
}

func TestCompleteBatchMatchesSingle(t *testing.T) {
	testDSN(t)
	storetest.RunCompleteBatchMatchesSingle(t, openTest)
}
