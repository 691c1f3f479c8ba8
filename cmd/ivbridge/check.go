package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "check (being built)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("check: not built yet")
		},
	}
}
