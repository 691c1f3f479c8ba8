package main

import (
	"os"

	"github.com/gin-gonic/gin"
	"github.com/spf13/cobra"

	"github.com/ivbridge/ivbridge/adapter/config"
	"github.com/ivbridge/ivbridge/adapter/serve"
)

func newServeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "serve the clinic API, the FHIR facade and the admin endpoints",
		Long: `serve runs the HTTP service. Every option can also come from the
environment (IVBRIDGE_<OPTION>, e.g. IVBRIDGE_ADDR) or a config file
(--config FILE, YAML or JSON, keys are the option names); flags win over the
environment, which wins over the file. Tokens come from --tokens FILE and
IVBRIDGE_TOKEN; with neither, a random token is printed once to stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Resolve(cmd.Flags(), os.Getenv)
			if err != nil {
				return err
			}
			// gin's mode is process-wide; release mode keeps its debug
			// route dump out of the JSON logs.
			gin.SetMode(gin.ReleaseMode)
			return serve.Run(cmd.Context(), cfg, serve.Env{Getenv: os.Getenv, Stderr: cmd.ErrOrStderr()})
		},
	}
	config.AddFlags(cmd.Flags())
	return cmd
}
