// Package loadgen measures how many clinic records per second ivbridge
// accepts: it seeds a patient, two practitioners and a plan, then PUTs N
// distinct administrations from C concurrent clients and reports accepted
// records per second and latency percentiles. Beside it, in the same run
// and on the same kind of store with the same durability settings, it
// measures a baseline: a bare gin handler that stores the same bytes with
// one store.PutRecord and nothing else (no decoding, mapping, validation,
// safety checks or FHIR projection). The ratio of the two is the cost of
// everything ivbridge does on a write.
//
// It only ever sends traffic to the base URL it is given; the command
// (cmd/ivload) runs both servers on loopback.
package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// Config says what to send.
type Config struct {
	// BaseURL of the server under test, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Token is the bearer token (clinic.write).
	Token string
	// N is the number of distinct administrations to PUT.
	N int
	// Concurrency is the number of clients sending at once.
	Concurrency int
	// Prefix makes record ids unique per run (default "load").
	Prefix string
	// First is the number of the first administration sent (ids
	// Prefix-adm-First …), so one run can be sent in several parts.
	First int
	// Client sends the requests (default: a pooled client).
	Client *http.Client
}

// Result is what one run measured.
type Result struct {
	Sent     int
	Accepted int // answered 201 or 200
	Failed   int // any other answer or a transport error
	// FirstError describes the first failure, for the report.
	FirstError string
	Elapsed    time.Duration
	P50, P99   time.Duration
	Max        time.Duration
	// latencies of the requests sent, for merging parts (add).
	latencies []time.Duration
}

// add merges part q of a run into r: counts and time add up, the
// percentiles are those of all requests.
func (r *Result) add(q Result) {
	r.Sent += q.Sent
	r.Accepted += q.Accepted
	r.Failed += q.Failed
	if r.FirstError == "" {
		r.FirstError = q.FirstError
	}
	r.Elapsed += q.Elapsed
	r.latencies = append(r.latencies, q.latencies...)
	r.percentiles()
}

// percentiles sets P50, P99 and Max from the latencies.
func (r *Result) percentiles() {
	sorted := slices.Clone(r.latencies)
	slices.Sort(sorted)
	if n := len(sorted); n > 0 {
		r.P50 = sorted[n*50/100]
		r.P99 = sorted[min(n*99/100, n-1)]
		r.Max = sorted[n-1]
	}
}

// PerSecond is the accepted records per second over the run.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Accepted) / r.Elapsed.Seconds()
}

// String is a one-line summary.
func (r Result) String() string {
	return fmt.Sprintf("%d/%d accepted in %.2fs: %.0f records/s, p50 %.2fms, p99 %.2fms, max %.2fms",
		r.Accepted, r.Sent, r.Elapsed.Seconds(), r.PerSecond(), ms(r.P50), ms(r.P99), ms(r.Max))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// SeedRecords are the patient, practitioners and plan (with sessions
// sessions) that every administration of a run refers to.
func SeedRecords(prefix string, sessions int) [][]byte {
	return [][]byte{
		[]byte(fmt.Sprintf(`{"kind":"patient","id":"%s-pat","version":1,"mrn":"MRN-%s","given_names":["Load"],"family_name":"Test","birth_date":"1980-05-17","sex":"female","weight_kg":70.0}`, prefix, prefix)),
		[]byte(fmt.Sprintf(`{"kind":"practitioner","id":"%s-md","version":1,"given_names":["Pat"],"family_name":"Prescriber","role":"physician"}`, prefix)),
		[]byte(fmt.Sprintf(`{"kind":"practitioner","id":"%s-rn","version":1,"given_names":["Nat"],"family_name":"Nurse","role":"registered_nurse"}`, prefix)),
		[]byte(fmt.Sprintf(`{"kind":"plan","id":"%s-plan","version":1,"patient_id":"%s-pat","prescriber_id":"%s-md","status":"active","authored_at":"2026-02-23T16:40:00-05:00","indications":["fibromyalgia"],"formulation":{"name":"Magnesium 1 g in NS 250 mL","ingredients":[{"substance":"magnesium_sulfate","amount":1,"unit":"g"}],"carrier":{"fluid":"sodium_chloride_0_9","volume_ml":250}},"rate":{"ml_per_hour":250},"schedule":{"sessions":%d,"every":1,"period":"day","start_date":"2026-03-02"}}`, prefix, prefix, prefix, sessions)),
	}
}

// Administration returns the body of the i-th administration of a run.
func Administration(prefix string, i int) []byte {
	return []byte(fmt.Sprintf(`{"kind":"administration","id":"%s-adm-%d","version":1,"plan_id":"%s-plan","patient_id":"%s-pat","session_number":%d,"status":"completed","started_at":"2026-03-02T09:02:00-05:00","ended_at":"2026-03-02T10:04:30-05:00","performer_id":"%s-rn","site":"left_antecubital","volume_infused_ml":250,"rate_ml_per_hour":250,"doses":[{"substance":"magnesium_sulfate","amount":1,"unit":"g"}],"pain_before":7,"pain_after":4}`,
		prefix, i, prefix, prefix, i+1, prefix))
}

func (c *Config) defaults() {
	if c.Prefix == "" {
		c.Prefix = "load"
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.Client == nil {
		c.Client = &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: c.Concurrency * 2, MaxIdleConns: c.Concurrency * 2},
		}
	}
}

func (c *Config) put(ctx context.Context, path string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("loadgen: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderPatient, c.Prefix+"-pat")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("loadgen: PUT %s: %w", path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Seed stores the patient, practitioners and plan the administrations
// refer to; each must be answered 2xx.
func Seed(ctx context.Context, cfg Config) error {
	cfg.defaults()
	for _, body := range SeedRecords(cfg.Prefix, max(cfg.N, 1)) {
		rec, err := clinic.Decode(body)
		if err != nil {
			return fmt.Errorf("loadgen: seed record: %w", err)
		}
		path := fmt.Sprintf("/clinic/v1/%ss/%s", rec.RecordKind(), rec.RecordID())
		st, err := cfg.put(ctx, path, body)
		if err != nil {
			return err
		}
		if st != http.StatusCreated && st != http.StatusOK {
			return fmt.Errorf("loadgen: seed %s: status %d", path, st)
		}
	}
	return nil
}

// Run PUTs cfg.N distinct administrations from cfg.Concurrency clients and
// measures them. Seed first.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg.defaults()
	if cfg.N <= 0 {
		return Result{}, errors.New("loadgen: N must be positive")
	}
	bodies := make([][]byte, cfg.N)
	for i := range bodies {
		bodies[i] = Administration(cfg.Prefix, cfg.First+i)
	}
	lat := make([]time.Duration, cfg.N)
	var next atomic.Int64
	var accepted, failed atomic.Int64
	var firstErr sync.Once
	var res Result
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.N || ctx.Err() != nil {
					return
				}
				path := fmt.Sprintf("/clinic/v1/administrations/%s-adm-%d", cfg.Prefix, cfg.First+i)
				t0 := time.Now()
				st, err := cfg.put(ctx, path, bodies[i])
				lat[i] = time.Since(t0)
				switch {
				case err != nil:
					failed.Add(1)
					firstErr.Do(func() { res.FirstError = err.Error() })
				case st == http.StatusCreated || st == http.StatusOK:
					accepted.Add(1)
				default:
					failed.Add(1)
					firstErr.Do(func() { res.FirstError = fmt.Sprintf("%s: status %d", path, st) })
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Sent = int(min(next.Load(), int64(cfg.N)))
	res.Accepted = int(accepted.Load())
	res.Failed = int(failed.Load())
	res.latencies = lat[:res.Sent]
	res.percentiles()
	return res, ctx.Err()
}

// HeaderPatient tells the baseline handler the record's patient, which
// ivbridge reads from the body (the baseline parses nothing).
const HeaderPatient = "Ivload-Patient"

// BaselineHandler is the comparison point: a bare gin handler that takes
// PUT /clinic/v1/{collection}/{id} and stores the request bytes as
// version 1 of the record with one PutRecord, queued for sync like
// ivbridge's writes, with no decoding, validation or projection.
func BaselineHandler(st store.Store) http.Handler {
	e := gin.New()
	kinds := map[string]clinic.Kind{}
	for _, k := range clinic.Kinds {
		kinds[string(k)+"s"] = k
	}
	e.PUT("/clinic/v1/:collection/:id", func(c *gin.Context) {
		kind, ok := kinds[c.Param("collection")]
		if !ok {
			c.Status(http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 1<<20))
		if err != nil {
			c.Status(http.StatusRequestEntityTooLarge)
			return
		}
		patient := c.GetHeader(HeaderPatient)
		if kind == clinic.KindPractitioner {
			patient = ""
		}
		r, err := st.PutRecord(c.Request.Context(), store.Write{
			Kind: kind, ID: c.Param("id"), Version: 1, PatientID: patient, Body: body, Origin: store.OriginClinic, Enqueue: true,
		})
		switch {
		case err != nil:
			c.Status(http.StatusInternalServerError)
		case r == store.Created:
			c.Status(http.StatusCreated)
		default:
			c.Status(http.StatusOK)
		}
	})
	return e
}
