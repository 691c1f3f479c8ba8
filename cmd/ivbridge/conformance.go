package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newConformanceCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "conformance",
		Short: "conformance (being built)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("conformance: not built yet")
		},
	}
}
