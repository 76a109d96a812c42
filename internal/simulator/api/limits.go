package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/url"
	"sort"
	"sync"
	"time"
)

// ---- token bucket (request-rate quotas) ----

type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(q Quota, now time.Time) *bucket {
	return &bucket{rate: q.Rate, burst: float64(q.Burst), tokens: float64(q.Burst), last: now}
}

// take spends one token if there is one; a refused request spends nothing.
func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens += el * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// ---- pagination ----
//
// A first page computes the whole result, keeps it in a small cache and
// hands out an opaque NextToken naming the cached result, the offset and a
// hash of the request (without NextToken/MaxResults). Later pages read the
// same snapshot, so a paginated read is consistent, like the real service's
// DataSnapshotTime. An evicted snapshot is recomputed.

const (
	pageCacheMax = 512
	pageCacheTTL = 15 * time.Minute
)

type pageEntry struct {
	op      string
	hash    string
	items   any
	snap    time.Time
	created time.Time
}

type pageCache struct {
	mu      sync.Mutex
	seq     uint64
	entries map[uint64]*pageEntry
	order   []uint64
}

func (c *pageCache) put(e *pageEntry) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := c.seq
	c.entries[id] = e
	c.order = append(c.order, id)
	for len(c.order) > 0 {
		old := c.entries[c.order[0]]
		if len(c.order) <= pageCacheMax && (old == nil || time.Since(old.created) < pageCacheTTL) {
			break
		}
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	return id
}

func (c *pageCache) get(id uint64) *pageEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[id]
}

type pageToken struct {
	Op     string `json:"o"`
	Snap   uint64 `json:"s"`
	Offset int    `json:"n"`
	Hash   string `json:"h"`
}

func encodeToken(t pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (pageToken, bool) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Offset < 0 {
		return t, false
	}
	return t, true
}

// pageSpec says how one operation pages.
type pageSpec struct {
	op         string
	hash       string // of the request without NextToken/MaxResults
	token      string
	maxResults *int
	max        int // the model's maximum (and default: every default is 100)
	def        int
	member     string // for constraint messages: "maxResults"
}

type page[T any] struct {
	items []T
	next  string
	snap  time.Time
	total int
}

// pageResponse is a List* or Search* response: one page of resources under
// the operation's member name, the next page's token, the total of a
// Search* (total), and the members a response adds (extra).
type pageResponse[W any] struct {
	member string
	page   page[W]
	total  bool
	extra  map[string]any
}

func (r pageResponse[W]) MarshalJSON() ([]byte, error) {
	items := r.page.items
	if items == nil {
		items = []W{}
	}
	m := map[string]any{r.member: items}
	if r.page.next != "" {
		m["NextToken"] = r.page.next
	}
	if r.total {
		m["ApproximateTotalCount"] = int64(r.page.total)
	}
	maps.Copy(m, r.extra)
	return json.Marshal(m)
}

// paginate returns one page of the result compute makes.
func paginate[T any](s *Server, p pageSpec, compute func() ([]T, time.Time, *apiError)) (page[T], *apiError) {
	var out page[T]
	n := p.def
	if p.maxResults != nil {
		n = *p.maxResults
		if n < 1 {
			return out, constraintError(n, p.member, "Member must have value greater than or equal to 1")
		}
		if n > p.max {
			return out, constraintError(n, p.member, "Member must have value less than or equal to "+itoa(p.max))
		}
	}
	var (
		items []T
		snap  time.Time
		id    uint64
		off   int
	)
	if p.token != "" {
		t, ok := decodeToken(p.token)
		if !ok || t.Op != p.op || t.Hash != p.hash {
			return out, invalidParam("Invalid NextToken provided")
		}
		off = t.Offset
		if e := s.pages.get(t.Snap); e != nil && e.op == p.op && e.hash == p.hash {
			items, _ = e.items.([]T)
			snap, id = e.snap, t.Snap
		}
	}
	if id == 0 {
		var err *apiError
		items, snap, err = compute()
		if err != nil {
			return out, err
		}
	}
	if off > len(items) {
		return out, invalidParam("Invalid NextToken provided")
	}
	end := off + n
	if end > len(items) {
		end = len(items)
	}
	out.items, out.snap, out.total = items[off:end], snap, len(items)
	if end < len(items) {
		if id == 0 {
			id = s.pages.put(&pageEntry{op: p.op, hash: p.hash, items: items, snap: snap, created: time.Now()})
		}
		out.next = encodeToken(pageToken{Op: p.op, Snap: id, Offset: end, Hash: p.hash})
	}
	return out, nil
}

// bodyHash hashes a JSON request body without its NextToken and MaxResults.
func bodyHash(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		m = nil
	}
	delete(m, "NextToken")
	delete(m, "MaxResults")
	b, _ := json.Marshal(m) // map keys are sorted
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// queryHash hashes a GET request's path and query without nextToken/maxResults.
func queryHash(path string, q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "nextToken" && k != "maxResults" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write([]byte(path))
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			h.Write([]byte{0})
			h.Write([]byte(k + "=" + v))
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
