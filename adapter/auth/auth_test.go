package auth

import (
	"strings"
	"testing"
)

func TestParseAndAuthenticate(t *testing.T) {
	file := "# comment\n\n" +
		"clinic-a clinic.write,clinic.read " + Digest("secret-a") + "\n" +
		"  ops   admin,fhir.read   " + strings.ToUpper(Digest("secret-ops")) + "  \n"
	toks, err := Parse(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if toks.Len() != 2 {
		t.Fatalf("Len = %d, want 2", toks.Len())
	}
	tests := []struct {
		token  string
		ok     bool
		name   string
		has    Scope
		hasNot Scope
	}{
		{"secret-a", true, "clinic-a", ClinicWrite, Admin},
		{"secret-ops", true, "ops", Admin, ClinicWrite},
		{"secret-b", false, "", "", ""},
		{"", false, "", "", ""},
		{"secret-a ", false, "", "", ""},
	}
	for _, tt := range tests {
		p, ok := toks.Authenticate(tt.token)
		if ok != tt.ok || p.Name != tt.name {
			t.Errorf("Authenticate(%q) = %v %v, want %q %v", tt.token, p.Name, ok, tt.name, tt.ok)
			continue
		}
		if ok && (!p.Has(tt.has) || p.Has(tt.hasNot)) {
			t.Errorf("Authenticate(%q) scopes %v: want %s and not %s", tt.token, p.Scopes, tt.has, tt.hasNot)
		}
	}
}

func TestParseErrors(t *testing.T) {
	d := Digest("x")
	tests := []struct {
		name, file, want string
	}{
		{"two fields", "a clinic.read\n", "line 1: want 3 fields"},
		{"bad scope", "a clinic.delete " + d + "\n", "unknown scope"},
		{"short digest", "a admin abcd\n", "SHA-256"},
		{"not hex", "a admin " + strings.Repeat("zz", 32) + "\n", "SHA-256"},
		{"bad name", "a/b admin " + d + "\n", "name must be"},
		{"duplicate", "a admin " + d + "\n# x\na admin " + Digest("y") + "\n", "line 3: duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestWithAndGenerate(t *testing.T) {
	tok, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	tok2, _ := Generate()
	if len(tok) < 40 || tok == tok2 {
		t.Fatalf("Generate gave %q and %q", tok, tok2)
	}
	var none *Tokens
	toks, err := none.With("env", tok, AllScopes()...)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := toks.Authenticate(tok)
	if !ok || p.Name != "env" || !p.Has(Admin) || !p.Has(ClinicWrite) {
		t.Fatalf("Authenticate = %+v %v", p, ok)
	}
	if _, err := toks.With("env", "other"); err == nil {
		t.Fatal("duplicate name accepted")
	}
	if _, err := toks.With("x", ""); err == nil {
		t.Fatal("empty token accepted")
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header, tok string
		ok          bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer  abc ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		tok, ok := BearerToken(tt.header)
		if tok != tt.tok || ok != tt.ok {
			t.Errorf("BearerToken(%q) = %q %v, want %q %v", tt.header, tok, ok, tt.tok, tt.ok)
		}
	}
}

// FuzzParse: a token file is outside input; Parse never panics and whatever
// it accepts authenticates nothing but the digests it lists.
func FuzzParse(f *testing.F) {
	f.Add("a clinic.read " + Digest("t") + "\n")
	f.Add("# c\n\nops admin,fhir.read " + Digest("u") + "\nb clinic.write " + Digest("v"))
	f.Add("a  b c d")
	f.Add("\x00\xff")
	f.Fuzz(func(t *testing.T, file string) {
		toks, err := Parse(strings.NewReader(file))
		if err != nil {
			return
		}
		if _, ok := toks.Authenticate("never-a-listed-token-" + file); ok && !strings.Contains(file, Digest("never-a-listed-token-"+file)) {
			t.Fatal("authenticated a token whose digest is not in the file")
		}
	})
}
