package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// maxCachedWallboards bounds the cache: one entry per time zone and
// threshold asked for within a refresh interval.
const maxCachedWallboards = 64

// wallboardCache shares one wallboard per time zone and service-level
// threshold among every viewer for one refresh interval: the first request
// after the interval runs the query (single flight, so concurrent viewers
// wait for that one query instead of starting their own), the others get
// the same encoded answer. Expiry is on the wall clock, whatever clock the
// dashboard reports in (the demo's runs faster).
type wallboardCache struct {
	ttl     time.Duration
	flights singleflight.Group

	mu      sync.Mutex
	entries map[string]cachedWallboard
}

type cachedWallboard struct {
	body []byte
	at   time.Time // wall clock
}

func newWallboardCache(ttl time.Duration) *wallboardCache {
	return &wallboardCache{ttl: ttl, entries: map[string]cachedWallboard{}}
}

func (c *wallboardCache) lookup(key string, now time.Time) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.at) >= c.ttl {
		return nil, false
	}
	return e.body, true
}

func (c *wallboardCache) store(key string, body []byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedWallboards {
		for k, e := range c.entries {
			if now.Sub(e.at) >= c.ttl {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCachedWallboards {
			clear(c.entries)
		}
	}
	c.entries[key] = cachedWallboard{body: body, at: now}
}

// get returns the cached body of key or runs load once for every caller
// waiting on key.
func (c *wallboardCache) get(key string, load func() ([]byte, error)) ([]byte, error) {
	if body, ok := c.lookup(key, time.Now()); ok {
		return body, nil
	}
	v, err, _ := c.flights.Do(key, func() (any, error) {
		if body, ok := c.lookup(key, time.Now()); ok { // filled while we waited for the lock
			return body, nil
		}
		body, err := load()
		if err != nil {
			return nil, err
		}
		c.store(key, body, time.Now())
		return body, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// reset empties the cache (benchmarks measure a query per round).
func (c *wallboardCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

func (h *Handler) wallboard(w http.ResponseWriter, r *http.Request) {
	loc, err := h.zone(r)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	sl, err := h.threshold(r)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	key := loc.String() + "|" + strconv.Itoa(sl)
	body, err := h.wallboards.get(key, func() ([]byte, error) {
		// The query serves every viewer waiting on it: it does not end
		// when the first viewer's request does.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.opts.QueryTimeout)
		defer cancel()
		wb, err := h.r.Wallboard(ctx, connectreporting.WallboardQuery{Now: h.opts.Now(), Location: loc, ServiceLevelSeconds: sl})
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(wb); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	})
	if err != nil {
		h.failed(w, r, "wallboard", err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}
