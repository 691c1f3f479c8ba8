package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ivbridge/ivbridge/adapter/config"
	"github.com/ivbridge/ivbridge/adapter/projection"
	"github.com/ivbridge/ivbridge/adapter/serve"
	ivsync "github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/terminology"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

// The `ivbridge sync` commands talk to the running service over HTTP (the
// /sync/v1 admin API, a token with the admin scope): they work against a
// remote service too, and never open the database behind its back.
func newSyncCmd() *cobra.Command {
	var serviceURL, tokenFile string
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "the sync: status, dead letters and replay of a running service; a standalone worker",
		Long: `status, dead-letters and replay talk to a running ivbridge service over HTTP
(its /sync/v1 admin API), so they work against a remote service and never open
its database behind its back. The service URL comes from --url or IVBRIDGE_URL
(default http://127.0.0.1:8080); the token (admin scope) from IVBRIDGE_TOKEN or
--token-file. run is a standalone sync worker over the store.`,
	}
	client := func() (*ivsync.AdminClient, error) {
		u := serviceURL
		if u == "" {
			u = os.Getenv("IVBRIDGE_URL")
		}
		if u == "" {
			u = "http://127.0.0.1:8080"
		}
		tok := os.Getenv("IVBRIDGE_TOKEN")
		if tokenFile != "" {
			b, err := os.ReadFile(tokenFile)
			if err != nil {
				return nil, err
			}
			tok = strings.TrimSpace(string(b))
		}
		return ivsync.NewAdminClient(u, tok)
	}

	status := &cobra.Command{
		Use:   "status",
		Short: "print the sync status (queue depth, oldest pending, dead letters, upstream)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			raw, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(raw))
			return err
		},
	}
	var asJSON bool
	deadLetters := &cobra.Command{
		Use:   "dead-letters",
		Short: "list the dead letters (records the upstream refused)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			dls, err := c.DeadLetters(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(ivsync.DeadLetterList{DeadLetters: dls})
			}
			return ivsync.WriteDeadLetters(cmd.OutOrStdout(), dls)
		},
	}
	deadLetters.Flags().BoolVar(&asJSON, "json", false, "print JSON with outcomes and payloads")
	replay := &cobra.Command{
		Use:   "replay ID",
		Short: "put a dead letter back in the queue (after fixing its cause)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id < 1 {
				return fmt.Errorf("dead letter id %q is not a positive integer", args[0])
			}
			c, err := client()
			if err != nil {
				return err
			}
			if err := c.Replay(cmd.Context(), id); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "dead letter %d queued again\n", id)
			return err
		},
	}
	for _, c := range []*cobra.Command{status, deadLetters, replay} {
		c.Flags().StringVar(&serviceURL, "url", "", "service base URL (default $IVBRIDGE_URL or http://127.0.0.1:8080)")
		c.Flags().StringVar(&tokenFile, "token-file", "", "file holding the admin token (default $IVBRIDGE_TOKEN)")
	}
	cmd.AddCommand(status, deadLetters, replay, newSyncRunCmd())
	return cmd
}

// newSyncRunCmd runs a sync worker on its own, without the HTTP service:
// for a separate sync process next to `serve` (with PostgreSQL, several
// may run), and for crash tests. It takes its own flags; secrets for the
// upstream come from the environment (see adapter/upstream.AuthFromEnv).
func newSyncRunCmd() *cobra.Command {
	var (
		dataDir, dsn, upstreamURL, namespace, terms, mode, logLevel string
		cfg                                                         ivsync.Config
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "run the push workers and the pull poller without the HTTP service",
		Long: `run pushes the outbox of the store (--data DIR, or --db DSN for PostgreSQL)
to the upstream FHIR server and pulls its orders, until SIGTERM/SIGINT.
Upstream credentials come from the environment: IVBRIDGE_UPSTREAM_TOKEN (static
bearer), or IVBRIDGE_UPSTREAM_TOKEN_URL + IVBRIDGE_UPSTREAM_CLIENT_ID with
IVBRIDGE_UPSTREAM_CLIENT_SECRET or IVBRIDGE_UPSTREAM_KEY_FILE (+ _KEY_ID,
_KEY_ALG RS384|ES384) for OAuth 2 client credentials; IVBRIDGE_UPSTREAM_SCOPES.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if upstreamURL == "" {
				return errors.New("--upstream is required")
			}
			log := serve.NewLogger(cmd.ErrOrStderr(), logLevel)
			st, err := serve.OpenStore(cmd.Context(), config.Serve{DataDir: dataDir, DB: dsn})
			if err != nil {
				return err
			}
			defer st.Close()
			table := terminology.Default()
			if terms != "" {
				f, err := os.Open(terms)
				if err != nil {
					return err
				}
				over, err := terminology.Load(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("terminology %s: %w", terms, err)
				}
				table = table.Merge(over)
			}
			tr, err := translate.New(translate.Config{Namespace: namespace, Terminology: table, ResolveReference: ivsync.StoreResolver(st)})
			if err != nil {
				return err
			}
			auth, err := upstream.AuthFromEnv(os.Getenv)
			if err != nil {
				return err
			}
			up, err := upstream.New(upstream.Config{BaseURL: upstreamURL, Auth: auth, Logger: log})
			if err != nil {
				return err
			}
			validator := conformance.NewValidator()
			cfg.Namespace, cfg.Mode, cfg.Logger, cfg.Validator = tr.Namespace(), mode, log, validator
			s, err := ivsync.New(cfg, st, up, projection.Puller{P: projection.New(tr, validator)})
			if err != nil {
				return err
			}
			log.Info("sync worker running", "upstream", up.BaseURL())
			return s.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", "./data", "directory of the embedded SQLite database (used unless --db is set)")
	f.StringVar(&dsn, "db", os.Getenv("IVBRIDGE_DB"), "PostgreSQL DSN (default $IVBRIDGE_DB)")
	f.StringVar(&upstreamURL, "upstream", os.Getenv("IVBRIDGE_UPSTREAM"), "base URL of the upstream FHIR server (default $IVBRIDGE_UPSTREAM)")
	f.StringVar(&namespace, "namespace", "", "clinic identifier namespace (default "+translate.DefaultNamespace+"; must match serve)")
	f.StringVar(&terms, "terminology", "", "terminology override file (as for serve)")
	f.StringVar(&mode, "mode", "", "write mode: transaction, batch or single (default: from the upstream's CapabilityStatement)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.IntVar(&cfg.Workers, "workers", 0, "concurrent push workers (default 8)")
	f.IntVar(&cfg.ClaimLimit, "claim", 0, "outbox entries a worker claims at once (default 100)")
	f.DurationVar(&cfg.Lease, "lease", 0, "how long a claim is held; after a crash its entries return after this (default 60s)")
	f.IntVar(&cfg.MaxEntries, "max-entries", 0, "entries per Bundle (default 50)")
	f.IntVar(&cfg.MaxBundleBytes, "max-bundle-bytes", 0, "bytes per Bundle (default 4 MiB)")
	f.DurationVar(&cfg.PullInterval, "pull-interval", 0, "how often to pull upstream orders (default 30s; negative: no pull)")
	return cmd
}
