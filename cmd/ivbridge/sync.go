package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newSyncCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "sync",
		Short: "sync (being built)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("sync: not built yet")
		},
	}
}
