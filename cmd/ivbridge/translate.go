package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newTranslateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "translate",
		Short: "translate (being built)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("translate: not built yet")
		},
	}
}
