package conformance

import (
	"fmt"
	"strings"
	"testing"
)

// benchBundle builds a transaction Bundle of n administrations.
func benchBundle(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		res := strings.Replace(baseAdministration, `"id": "ma1"`, fmt.Sprintf(`"id": "ma%d"`, i), 1)
		fmt.Fprintf(&b, `{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","resource":%s,"request":{"method":"PUT","url":"MedicationAdministration/ma%d"}}`, i, res, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func BenchmarkValidate(b *testing.B) {
	v := NewValidator()
	for _, bc := range []struct {
		name string
		doc  []byte
	}{
		{"MedicationAdministration", []byte(baseAdministration)},
		{"Bundle50", benchBundle(50)},
	} {
		if issues := v.Validate(bc.doc); len(issues) != 0 {
			b.Fatalf("%s: %+v", bc.name, issues)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.doc)))
			b.ReportAllocs()
			for b.Loop() {
				v.Validate(bc.doc)
			}
		})
	}
}

func BenchmarkValidateParallel(b *testing.B) {
	v := NewValidator()
	doc := []byte(baseAdministration)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			v.Validate(doc)
		}
	})
}

func BenchmarkNewValidatorColdTables(b *testing.B) {
	for b.Loop() {
		if _, err := buildModel(tablesGz); err != nil {
			b.Fatal(err)
		}
	}
}
