package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func resolve(t *testing.T, args []string, env map[string]string) (Serve, error) {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Resolve(fs, func(k string) string { return env[k] })
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	s, err := resolve(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s != Default() {
		t.Fatalf("got %+v, want the defaults %+v", s, Default())
	}
	if s.Addr != "127.0.0.1:8080" || s.MaxBody != 1<<20 || s.DataDir != "./data" {
		t.Fatalf("defaults changed: %+v", s)
	}
}

func TestLayers(t *testing.T) {
	yml := writeFile(t, "c.yaml", "addr: 127.0.0.1:9000\nmax-body: 2MiB\ndata: /from/file\nsafety: false\nrate-limit: 5\n")
	js := writeFile(t, "c.json", `{"addr": "127.0.0.1:9100", "shutdown-timeout": "3s", "max-batch-lines": 10}`)
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(s Serve) bool
	}{
		{"yaml file", []string{"--config", yml}, nil, func(s Serve) bool {
			return s.Addr == "127.0.0.1:9000" && s.MaxBody == 2<<20 && s.DataDir == "/from/file" && !s.Safety && s.RateLimit == 5
		}},
		{"json file", []string{"--config", js}, nil, func(s Serve) bool {
			return s.Addr == "127.0.0.1:9100" && s.ShutdownTimeout == 3*time.Second && s.MaxBatchLines == 10
		}},
		{"config from env", nil, map[string]string{"IVBRIDGE_CONFIG": js}, func(s Serve) bool { return s.Addr == "127.0.0.1:9100" }},
		{"env over file", []string{"--config", yml}, map[string]string{"IVBRIDGE_ADDR": "127.0.0.1:9200", "IVBRIDGE_MAX_BODY": "4096"}, func(s Serve) bool {
			return s.Addr == "127.0.0.1:9200" && s.MaxBody == 4096 && s.DataDir == "/from/file"
		}},
		{"flag over env", []string{"--config", yml, "--addr", "127.0.0.1:9300"}, map[string]string{"IVBRIDGE_ADDR": "127.0.0.1:9200"}, func(s Serve) bool {
			return s.Addr == "127.0.0.1:9300"
		}},
		{"db", []string{"--db", "postgres://u@127.0.0.1/db"}, nil, func(s Serve) bool { return s.DB == "postgres://u@127.0.0.1/db" }},
		{"gc percent", []string{"--gc-percent", "150"}, nil, func(s Serve) bool { return s.GCPercent == 150 }},
		{"gc off from env", nil, map[string]string{"IVBRIDGE_GC_PERCENT": "off"}, func(s Serve) bool { return s.GCPercent == -1 }},
		{"base url trimmed", []string{"--base-url", "https://x.example/api/"}, nil, func(s Serve) bool { return s.BaseURL == "https://x.example/api" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := resolve(t, tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(s) {
				t.Fatalf("unexpected config %+v", s)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	unknown := writeFile(t, "u.yaml", "adr: 127.0.0.1:1\n")
	list := writeFile(t, "l.yaml", "addr: [1, 2]\n")
	dup := writeFile(t, "d.yaml", "addr: 127.0.0.1:1\naddr: 127.0.0.1:2\n")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown key", []string{"--config", unknown}, nil, "adr: unknown option"},
		{"list value", []string{"--config", list}, nil, "must be a scalar"},
		{"duplicate key", []string{"--config", dup}, nil, "parse"},
		{"missing file", []string{"--config", "/nonexistent/x.yaml"}, nil, "read"},
		{"bad addr flag", []string{"--addr", "nohostport"}, nil, "--addr"},
		{"bad env size", nil, map[string]string{"IVBRIDGE_MAX_BODY": "lots"}, "IVBRIDGE_MAX_BODY"},
		{"bad db", []string{"--db", "mysql://x"}, nil, "postgres"},
		{"bad upstream", []string{"--upstream", "ftp://x"}, nil, "http"},
		{"bad level", []string{"--log-level", "loud"}, nil, "log-level"},
		{"zero gc percent", []string{"--gc-percent", "0"}, nil, "gc-percent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolve(t, tt.args, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	_, err := resolve(t, []string{"--addr", "x"}, nil)
	var ce *Error
	if !errors.As(err, &ce) || ce.Source != "flag" {
		t.Fatalf("want a *config.Error from a flag, got %v", err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1 << 20, true}, {"1MiB", 1 << 20, true}, {"64 KiB", 64 << 10, true}, {"2MB", 2e6, true},
		{"0", 0, false}, {"-1", 0, false}, {"1.5MiB", 0, false}, {"MiB", 0, false}, {"99999999GiB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// FuzzParseFile: a config file is outside input; parsing never panics and
// an accepted file leaves a usable listen address.
func FuzzParseFile(f *testing.F) {
	f.Add("addr: 127.0.0.1:1\nmax-body: 1KiB\n")
	f.Add(`{"safety": true, "rate-limit": 0.5}`)
	f.Add("- a\n- b\n")
	f.Add("{")
	f.Fuzz(func(t *testing.T, data string) {
		s := Default()
		if err := ParseFile(&s, "fuzz", []byte(data)); err != nil {
			return
		}
		if s.Addr == "" || s.MaxBody < 1 {
			t.Fatalf("accepted file left %+v", s)
		}
	})
}
