// Package config resolves the configuration of `ivbridge serve` from four
// layers, lowest first: built-in defaults, a config file (--config FILE,
// YAML or JSON), the environment (IVBRIDGE_<OPTION>, e.g. IVBRIDGE_ADDR)
// and command-line flags. Every option has the same name in all three
// outside layers (flag --max-body, file key max-body, env IVBRIDGE_MAX_BODY)
// and one parser, so the layers cannot drift apart.
//
// The file is read with github.com/goccy/go-yaml: it is already in the
// module graph (gin depends on it), it is maintained, it reads JSON as
// well as YAML (JSON is a YAML subset) and it rejects duplicate keys.
// Unknown keys are an error here, as unknown clinic fields are: a typo in
// a config file must not silently fall back to a default.
//
// Secrets are not options: the bearer token for a first run comes from
// IVBRIDGE_TOKEN only (see adapter/auth), never from a flag (visible in ps)
// or from the config file.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/pflag"
)

// EnvPrefix is the prefix of every environment variable of serve.
const EnvPrefix = "IVBRIDGE_"

// Serve is the resolved configuration of `ivbridge serve`.
type Serve struct {
	// Addr is the listen address (host:port).
	Addr string
	// DataDir is the embedded SQLite directory, used when DB is empty.
	DataDir string
	// DB is a PostgreSQL DSN (postgres://…); when set it replaces SQLite.
	DB string
	// Upstream is the base URL of the upstream FHIR server; empty: no sync.
	Upstream string
	// Terminology is a terminology file merged over the embedded table.
	Terminology string
	// Rules is a safety rules file merged over the embedded rules.
	Rules string
	// Safety turns the medication safety checks on PUT on or off.
	Safety bool
	// Namespace is the identity namespace of FHIR ids and identifier
	// systems; empty means the translator's default.
	Namespace string
	// Tokens is the bearer token file (name, scopes, hex SHA-256 per line).
	Tokens string
	// MaxBody is the largest request body (and batch line) in bytes.
	MaxBody int64
	// MaxBatchLines caps the records of one POST /clinic/v1/batch.
	MaxBatchLines int
	// RateLimit is the sustained requests per second allowed per token
	// name; 0 turns rate limiting off.
	RateLimit float64
	// RateBurst is the token bucket size per token name.
	RateBurst int
	// BaseURL is the public base URL of the service, used for Bundle
	// fullUrl and paging links; empty: taken from each request.
	BaseURL string
	// ShutdownTimeout bounds the drain of in-flight requests on SIGTERM.
	ShutdownTimeout time.Duration
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// GCPercent is the garbage collector's target (as GOGC): the heap may
	// grow by this percentage of the live heap before a collection; -1
	// turns collection off. The GOGC environment variable, when set, wins.
	GCPercent int
}

// Default returns the built-in defaults.
func Default() Serve {
	return Serve{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./data",
		Safety:          true,
		MaxBody:         1 << 20,
		MaxBatchLines:   1000,
		RateBurst:       100,
		ShutdownTimeout: 15 * time.Second,
		LogLevel:        "info",
		// A write allocates 100-140 KB that is garbage once answered,
		// over a live heap of ~15 MB: at Go's default of 100 the
		// collector ran every few dozen requests and took a quarter of
		// the process's CPU. 400 costs ~25 MB more resident memory
		// (ivload, PostgreSQL).
		GCPercent: 400,
	}
}

// option is one setting: its name in every layer, its help and how to
// parse it into and show it from a Serve.
type option struct {
	name  string
	usage string
	set   func(s *Serve, v string) error
	get   func(s Serve) string
}

func options() []option {
	str := func(name, usage string, p func(s *Serve) *string) option {
		return option{
			name: name, usage: usage,
			set: func(s *Serve, v string) error { *p(s) = v; return nil },
			get: func(s Serve) string { return *p(&s) },
		}
	}
	return []option{
		{
			name: "addr", usage: "listen address host:port",
			set: func(s *Serve, v string) error {
				if _, _, err := net.SplitHostPort(v); err != nil {
					return fmt.Errorf("not host:port: %w", err)
				}
				s.Addr = v
				return nil
			},
			get: func(s Serve) string { return s.Addr },
		},
		str("data", "directory of the embedded SQLite database (used unless --db is set)", func(s *Serve) *string { return &s.DataDir }),
		{
			name: "db", usage: "PostgreSQL DSN (postgres://user@host/db); replaces the embedded SQLite",
			set: func(s *Serve, v string) error {
				if v != "" && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
					return errors.New("must be a postgres:// or postgresql:// URL")
				}
				s.DB = v
				return nil
			},
			get: func(s Serve) string { return s.DB },
		},
		{
			name: "upstream", usage: "base URL of the upstream FHIR server (empty: no sync)",
			set: func(s *Serve, v string) error {
				if v != "" {
					if err := checkHTTPURL(v); err != nil {
						return err
					}
				}
				s.Upstream = v
				return nil
			},
			get: func(s Serve) string { return s.Upstream },
		},
		str("terminology", "terminology file merged over the embedded code tables", func(s *Serve) *string { return &s.Terminology }),
		str("rules", "safety rules file merged over the embedded rules", func(s *Serve) *string { return &s.Rules }),
		{
			name: "safety", usage: "run the medication safety checks on plans and administrations",
			set: func(s *Serve, v string) error {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return fmt.Errorf("not a boolean: %w", err)
				}
				s.Safety = b
				return nil
			},
			get: func(s Serve) string { return strconv.FormatBool(s.Safety) },
		},
		str("namespace", "identity namespace of FHIR ids and identifier systems (empty: translator default)", func(s *Serve) *string { return &s.Namespace }),
		str("tokens", "bearer token file: per line name, comma-separated scopes, hex SHA-256 of the token", func(s *Serve) *string { return &s.Tokens }),
		{
			name: "max-body", usage: "largest request body and batch line (bytes, or with KiB/MiB suffix)",
			set: func(s *Serve, v string) error {
				n, err := ParseSize(v)
				if err != nil {
					return err
				}
				s.MaxBody = n
				return nil
			},
			get: func(s Serve) string { return strconv.FormatInt(s.MaxBody, 10) },
		},
		{
			name: "max-batch-lines", usage: "most records in one POST /clinic/v1/batch",
			set: func(s *Serve, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return errors.New("must be a positive integer")
				}
				s.MaxBatchLines = n
				return nil
			},
			get: func(s Serve) string { return strconv.Itoa(s.MaxBatchLines) },
		},
		{
			name: "rate-limit", usage: "requests per second per token name (0: off)",
			set: func(s *Serve, v string) error {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || f < 0 {
					return errors.New("must be a number ≥ 0")
				}
				s.RateLimit = f
				return nil
			},
			get: func(s Serve) string { return strconv.FormatFloat(s.RateLimit, 'g', -1, 64) },
		},
		{
			name: "rate-burst", usage: "token bucket size per token name",
			set: func(s *Serve, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return errors.New("must be a positive integer")
				}
				s.RateBurst = n
				return nil
			},
			get: func(s Serve) string { return strconv.Itoa(s.RateBurst) },
		},
		{
			name: "base-url", usage: "public base URL for Bundle links (empty: from the request)",
			set: func(s *Serve, v string) error {
				if v != "" {
					if err := checkHTTPURL(v); err != nil {
						return err
					}
				}
				s.BaseURL = strings.TrimRight(v, "/")
				return nil
			},
			get: func(s Serve) string { return s.BaseURL },
		},
		{
			name: "shutdown-timeout", usage: "how long SIGTERM waits for in-flight requests",
			set: func(s *Serve, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d < 0 {
					return errors.New("must be a duration like 15s")
				}
				s.ShutdownTimeout = d
				return nil
			},
			get: func(s Serve) string { return s.ShutdownTimeout.String() },
		},
		{
			name: "log-level", usage: "debug, info, warn or error",
			set: func(s *Serve, v string) error {
				switch v {
				case "debug", "info", "warn", "error":
					s.LogLevel = v
					return nil
				}
				return errors.New("must be debug, info, warn or error")
			},
			get: func(s Serve) string { return s.LogLevel },
		},
		{
			name: "gc-percent", usage: "garbage collector target as GOGC: heap growth in % of the live heap before a collection, or off (GOGC in the environment wins)",
			set: func(s *Serve, v string) error {
				if v == "off" {
					s.GCPercent = -1
					return nil
				}
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return errors.New("must be a positive integer or off")
				}
				s.GCPercent = n
				return nil
			},
			get: func(s Serve) string {
				if s.GCPercent < 0 {
					return "off"
				}
				return strconv.Itoa(s.GCPercent)
			},
		},
	}
}

func checkHTTPURL(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http(s) URL")
	}
	return nil
}

// EnvName is the environment variable of an option name.
func EnvName(option string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(option, "-", "_"))
}

// ParseSize reads a byte count: a plain integer or one with a KiB, MiB,
// KB or MB suffix (1 MiB = 1048576).
func ParseSize(v string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"B", 1}}
	mult := int64(1)
	num := strings.TrimSpace(v)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			mult = u.mult
			num = strings.TrimSpace(strings.TrimSuffix(num, u.suffix))
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || n > (1<<40)/mult {
		return 0, fmt.Errorf("size %q: must be a positive byte count like 1048576 or 1MiB", v)
	}
	return n * mult, nil
}

// FlagConfig is the flag naming the config file; its environment
// variable is IVBRIDGE_CONFIG.
const FlagConfig = "config"

// AddFlags registers every option (and --config) on fs, with the
// defaults shown in the help.
func AddFlags(fs *pflag.FlagSet) {
	def := Default()
	fs.String(FlagConfig, "", "config file (YAML or JSON) with the same option names; env "+EnvName(FlagConfig))
	for _, o := range options() {
		fs.String(o.name, o.get(def), o.usage+"; env "+EnvName(o.name))
	}
}

// Error is a configuration error naming the layer and the option.
type Error struct {
	Source string // "flag", "env", "file <path>"
	Option string
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("config: %s %s: %v", e.Source, e.Option, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Resolve builds the configuration from defaults, the config file named by
// --config or IVBRIDGE_CONFIG, the environment (looked up with getenv) and
// the flags of fs that were set on the command line, in that order.
func Resolve(fs *pflag.FlagSet, getenv func(string) string) (Serve, error) {
	s := Default()
	opts := options()
	path := getenv(EnvName(FlagConfig))
	if f := fs.Lookup(FlagConfig); f != nil && f.Changed {
		path = f.Value.String()
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Serve{}, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := applyFile(&s, opts, path, data); err != nil {
			return Serve{}, err
		}
	}
	for _, o := range opts {
		if v := getenv(EnvName(o.name)); v != "" {
			if err := o.set(&s, v); err != nil {
				return Serve{}, &Error{Source: "env", Option: EnvName(o.name), Err: err}
			}
		}
	}
	for _, o := range opts {
		f := fs.Lookup(o.name)
		if f == nil || !f.Changed {
			continue
		}
		if err := o.set(&s, f.Value.String()); err != nil {
			return Serve{}, &Error{Source: "flag", Option: "--" + o.name, Err: err}
		}
	}
	return s, nil
}

// ParseFile applies a config file's content over s. Keys are option names;
// values are scalars.
func ParseFile(s *Serve, name string, data []byte) error {
	return applyFile(s, options(), name, data)
}

func applyFile(s *Serve, opts []option, path string, data []byte) error {
	var m map[string]any
	if err := yaml.UnmarshalWithOptions(data, &m); err != nil {
		return fmt.Errorf("config: parse %s: %w", path, err)
	}
	byName := make(map[string]option, len(opts))
	for _, o := range opts {
		byName[o.name] = o
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	src := "file " + path
	for _, k := range keys {
		o, ok := byName[k]
		if !ok {
			return &Error{Source: src, Option: k, Err: errors.New("unknown option")}
		}
		v, err := scalar(m[k])
		if err != nil {
			return &Error{Source: src, Option: k, Err: err}
		}
		if err := o.set(s, v); err != nil {
			return &Error{Source: src, Option: k, Err: err}
		}
	}
	return nil
}

// scalar renders a decoded YAML/JSON scalar in the form the option parsers
// read; lists and maps are refused.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", nil
	default:
		return "", fmt.Errorf("must be a scalar, not %T", v)
	}
}
