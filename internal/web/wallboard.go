package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
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
// after the interval starts the query (single flight, so there is one query
// however many viewers ask), the others get the same encoded answer. While
// that query runs, viewers get the previous answer (see staleFor). Expiry is
// on the wall clock, whatever clock the dashboard reports in (the demo's
// runs faster).
type wallboardCache struct {
	ttl     time.Duration
	flights singleflight.Group

	mu      sync.Mutex
	entries map[string]cachedWallboard
}

type cachedWallboard struct {
	body *encodedWallboard
	at   time.Time // wall clock
}

// encodedWallboard is one wallboard as JSON, plain and gzipped (encoded
// once, served to every viewer).
type encodedWallboard struct {
	plain, gz []byte
}

func encodeWallboard(wb connectreporting.Wallboard) (*encodedWallboard, error) {
	var plain, gz bytes.Buffer
	if err := json.NewEncoder(&plain).Encode(wb); err != nil {
		return nil, err
	}
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(plain.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &encodedWallboard{plain: plain.Bytes(), gz: gz.Bytes()}, nil
}

func newWallboardCache(ttl time.Duration) *wallboardCache {
	return &wallboardCache{ttl: ttl, entries: map[string]cachedWallboard{}}
}

// lookup returns the body of key and whether it is still fresh.
func (c *wallboardCache) lookup(key string, now time.Time) (body *encodedWallboard, fresh bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.at) >= staleFor*c.ttl {
		return nil, false
	}
	return e.body, now.Sub(e.at) < c.ttl
}

func (c *wallboardCache) store(key string, body *encodedWallboard, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedWallboards {
		for k, e := range c.entries {
			if now.Sub(e.at) >= staleFor*c.ttl {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCachedWallboards {
			clear(c.entries)
		}
	}
	c.entries[key] = cachedWallboard{body: body, at: now}
}

// staleFor: an answer older than the refresh interval but younger than
// staleFor intervals is served while one query renews it in the background
// (stale while revalidate), so no viewer waits for the query; an older
// one, or none, is waited for.
const staleFor = 3

// get returns the body of key: the cached one while it is fresh; the
// cached one while one query renews it when it is stale; else the result of
// load, run once for every caller waiting on key.
func (c *wallboardCache) get(key string, load func() (*encodedWallboard, error)) (*encodedWallboard, error) {
	body, fresh := c.lookup(key, time.Now())
	if fresh {
		return body, nil
	}
	flight := c.flights.DoChan(key, func() (any, error) {
		if body, fresh := c.lookup(key, time.Now()); fresh { // renewed while we waited for the lock
			return body, nil
		}
		body, err := load()
		if err != nil {
			return nil, err
		}
		c.store(key, body, time.Now())
		return body, nil
	})
	if body != nil {
		return body, nil // stale: the flight renews it for the next viewers
	}
	res := <-flight
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Val.(*encodedWallboard), nil
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
	body, err := h.wallboards.get(key, func() (*encodedWallboard, error) {
		// The query serves every viewer waiting on it: it does not end
		// when the first viewer's request does.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.opts.QueryTimeout)
		defer cancel()
		wb, err := h.r.Wallboard(ctx, connectreporting.WallboardQuery{Now: h.opts.Now(), Location: loc, ServiceLevelSeconds: sl})
		if err != nil {
			return nil, err
		}
		return encodeWallboard(wb)
	})
	if err != nil {
		h.failed(w, r, "wallboard", err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Vary", "Accept-Encoding")
	if acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		_, _ = w.Write(body.gz)
		return
	}
	_, _ = w.Write(body.plain)
}

// acceptsGzip tells whether the client takes a gzip body (every browser).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// expire ages every cached answer past the refresh interval (benchmarks
// measure the moment a refresh interval ends).
func (c *wallboardCache) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		e.at = e.at.Add(-c.ttl)
		c.entries[k] = e
	}
}
