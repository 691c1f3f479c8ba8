package store

import "time"

// Options are the settings both implementations accept at Open.
type Options struct {
	// Now is the store's clock: it stamps UpdatedAt, LastUpdated, outbox
	// times and decides which leases have expired. Defaults to time.Now.
	// Tests inject a controllable clock so lease expiry needs no sleep.
	Now func() time.Time
}

// Option changes one setting of Options.
type Option func(*Options)

// WithClock makes the store read the time from now instead of time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *Options) { o.Now = now }
}

// Apply returns the Options that opts produce over the defaults.
func Apply(opts ...Option) Options {
	o := Options{Now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
