// Command ivbridge connects outpatient IV-infusion clinics to FHIR R4: it
// translates clinic records, serves a FHIR facade and syncs with an upstream
// FHIR server. This package holds flags and wiring only.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries a process exit status without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "ivbridge",
		Short:         "IV-infusion clinic records ⇄ FHIR R4: translation, facade and sync",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newServeCmd(),
		newTranslateCmd(),
		newValidateCmd(),
		newConformanceCmd(),
		newSyncCmd(),
		newCheckCmd(),
	)
	return root
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err == nil {
		return
	}
	var ee exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	fmt.Fprintln(os.Stderr, "ivbridge:", err)
	os.Exit(2)
}
