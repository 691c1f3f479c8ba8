package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "validate (being built)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("validate: not built yet")
		},
	}
}
