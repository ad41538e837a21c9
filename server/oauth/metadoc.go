package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/internal/clientip"
	"github.com/gatehouse-id/gatehouse/internal/safefetch"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/storage"
)

// MetadataDocuments resolves client IDs that are client ID metadata
// document URLs: the document is fetched (safefetch), checked
// (clients.DynamicPolicy.Document), kept as a client row of origin
// metadata_document (tokens and consents refer to it) and cached per its
// Cache-Control, between MinCacheAge and MaxCacheAge. A stale document is
// fetched again; only one fetch per URL runs at a time, the others wait
// for it (a single flight). A failed fetch is remembered for MinCacheAge, so a bad URL does
// not make the server fetch it on every request. A document the server
// has not stored before counts against the requesting IP's budget
// (LimitNew): anyone may name one, anonymously.
type MetadataDocuments struct {
	Fetcher *safefetch.Fetcher
	Policy  clients.DynamicPolicy
	Store   storage.Store
	// MaxCacheAge bounds how long a document is used without a successful
	// fetch; MinCacheAge is the least it is cached (default 30s).
	MaxCacheAge, MinCacheAge time.Duration
	Logger                   *slog.Logger
	Now                      func() time.Time
	// AllowedHosts, when not empty, are the only hosts whose documents
	// are clients; BlockedHosts never are. A client stored from a host
	// not accepted is refused too (and so its tokens).
	AllowedHosts, BlockedHosts clients.HostPatterns

	limiter *ratelimit.Limiter
	perHour int

	mu      sync.Mutex
	cache   map[string]cachedDocument
	flights map[string]*flight // the fetch in progress per URL
}

// flight is one fetch of a document that callers wait for together.
type flight struct {
	done    chan struct{}
	client  storage.Client
	err     error
	waiters int
}

// cachedDocument is one URL's last outcome.
type cachedDocument struct {
	client  storage.Client
	err     error     // the last fetch failed (until fresh)
	fetched time.Time // of client, by the last successful fetch
	fresh   time.Time // until then, no fetch
}

// maxCachedDocuments bounds the cache; past it, stale entries go.
const maxCachedDocuments = 10000

// noFetchKey marks a context in which no document may be fetched (a
// token request inside its database transaction): the cache or the
// stored row answers.
type noFetchKey struct{}

// withoutFetching returns ctx under which MetadataDocuments fetches
// nothing.
func withoutFetching(ctx context.Context) context.Context {
	return context.WithValue(ctx, noFetchKey{}, true)
}

// LimitNew lets one client IP introduce at most perHour documents the
// server has not stored before (ratelimit.ActionClientMetadataDocument);
// past it they are refused, unfetched, with a *ratelimit.LimitedError.
// d may be nil (documents off).
func (d *MetadataDocuments) LimitNew(l *ratelimit.Limiter, perHour int) {
	if d != nil {
		d.limiter, d.perHour = l, perHour
	}
}

func (d *MetadataDocuments) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *MetadataDocuments) minAge() time.Duration {
	if d.MinCacheAge > 0 {
		return min(d.MinCacheAge, d.MaxCacheAge)
	}
	return min(30*time.Second, d.MaxCacheAge)
}

// Client returns the client of document URL id.
func (d *MetadataDocuments) Client(ctx context.Context, id string) (storage.Client, error) {
	if err := d.acceptedHost(id); err != nil {
		return storage.Client{}, err
	}
	d.dropIfDeleted(ctx, id)
	now := d.now()
	d.mu.Lock()
	entry, ok := d.cache[id]
	usable := ok && entry.err == nil && now.Before(entry.fetched.Add(d.MaxCacheAge))
	switch {
	case ok && now.Before(entry.fresh) && entry.err != nil:
		d.mu.Unlock()
		return storage.Client{}, entry.err
	case usable && now.Before(entry.fresh):
		d.mu.Unlock()
		return entry.client, nil
	case ctx.Value(noFetchKey{}) != nil:
		d.mu.Unlock()
		if usable {
			return entry.client, nil
		}
		return d.stored(ctx, id, now)
	}
	f, joined := d.flights[id]
	if joined {
		f.waiters++
	} else {
		if d.flights == nil {
			d.flights = map[string]*flight{}
		}
		f = &flight{done: make(chan struct{})}
		d.flights[id] = f
	}
	d.mu.Unlock()
	if !joined {
		// The first caller going away must not fail the others waiting.
		f.client, f.err = d.refresh(context.WithoutCancel(ctx), id)
		d.mu.Lock()
		delete(d.flights, id)
		d.mu.Unlock()
		close(f.done)
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return storage.Client{}, ctx.Err()
	}
	if f.err != nil {
		if usable {
			d.Logger.WarnContext(ctx, "client metadata document: fetch failed; using the cached one", "client_id", id, "error", f.err)
			return entry.client, nil
		}
		return storage.Client{}, f.err
	}
	return f.client, nil
}

// acceptedHost refuses document id when its host is blocked or, with
// AllowedHosts, not allowed: before any cache, stored row or fetch.
func (d *MetadataDocuments) acceptedHost(id string) error {
	u, err := url.Parse(id)
	if err != nil {
		return fmt.Errorf("%w: %q is not a URL", errDocument, id)
	}
	host := u.Hostname()
	if _, ok := clients.CanonicalHost(host); !ok && !(d.BlockedHosts.Empty() && d.AllowedHosts.Empty()) {
		return fmt.Errorf("%w: %q is no host name", errDocument, host)
	}
	if d.BlockedHosts.Match(host) || (!d.AllowedHosts.Empty() && !d.AllowedHosts.Match(host)) {
		return fmt.Errorf("%w: documents on %s are not accepted here (client_metadata_documents.allowed_hosts, blocked_hosts)", errDocument, host)
	}
	return nil
}

// dropIfDeleted forgets the cached client of document id when its row is
// gone (the janitor, `gatehouse clients delete`, another node): handing it
// out would start flows whose consent, codes and tokens refer to no
// client. The read is cheap (storage/clientcache); the next fetch stores
// the client again.
func (d *MetadataDocuments) dropIfDeleted(ctx context.Context, id string) {
	d.mu.Lock()
	cached := d.cache[id].client.ID != ""
	d.mu.Unlock()
	if !cached {
		return
	}
	if _, err := d.Store.GetClient(ctx, id); errors.Is(err, storage.ErrNotFound) {
		d.mu.Lock()
		delete(d.cache, id)
		d.mu.Unlock()
	}
}

// waiting reports how many callers wait for the fetch of id in progress
// besides the one fetching (tests).
func (d *MetadataDocuments) waiting(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f := d.flights[id]; f != nil {
		return f.waiters
	}
	return -1
}

// stored returns the stored row of document client id when it was
// fetched less than MaxCacheAge ago.
func (d *MetadataDocuments) stored(ctx context.Context, id string, now time.Time) (storage.Client, error) {
	c, err := d.Store.GetClient(ctx, id)
	if err != nil {
		return storage.Client{}, err
	}
	if c.Origin != storage.ClientOriginMetadataDocument || !now.Before(c.UpdatedAt.Add(d.MaxCacheAge)) {
		return storage.Client{}, fmt.Errorf("client metadata document %q: %w", id, storage.ErrNotFound)
	}
	return c, nil
}

// errDocument wraps every refusal of a document or its URL.
var errDocument = errors.New("client metadata document refused")

// refresh fetches, checks and stores document id, and caches the outcome.
func (d *MetadataDocuments) refresh(ctx context.Context, id string) (storage.Client, error) {
	c, maxAge, err := d.fetch(ctx, id)
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cache == nil {
		d.cache = map[string]cachedDocument{}
	}
	if len(d.cache) >= maxCachedDocuments {
		d.prune(now)
	}
	if errors.Is(err, ratelimit.ErrLimited) {
		return storage.Client{}, err // the requester's budget, not the document's fault: not cached
	}
	if err != nil {
		d.Logger.InfoContext(ctx, "client metadata document refused", "client_id", id, "error", err)
		prev := d.cache[id]
		prev.err, prev.fresh = err, now.Add(d.minAge())
		d.cache[id] = prev
		return storage.Client{}, err
	}
	d.cache[id] = cachedDocument{client: c, fetched: now, fresh: now.Add(min(max(maxAge, d.minAge()), d.MaxCacheAge))}
	return c, nil
}

// prune drops the entries that are past MaxCacheAge, or every entry when
// none is (the cache must stay bounded whatever URLs are asked for).
func (d *MetadataDocuments) prune(now time.Time) {
	for id, e := range d.cache {
		if !now.Before(e.fresh) && !now.Before(e.fetched.Add(d.MaxCacheAge)) {
			delete(d.cache, id)
		}
	}
	if len(d.cache) >= maxCachedDocuments {
		clear(d.cache)
	}
}

// fetch gets and checks document id and brings its client row up to date.
func (d *MetadataDocuments) fetch(ctx context.Context, id string) (storage.Client, time.Duration, error) {
	if err := clients.CheckDocumentID(id); err != nil {
		return storage.Client{}, 0, fmt.Errorf("%w: %w", errDocument, err)
	}
	if err := d.allowNew(ctx, id); err != nil {
		return storage.Client{}, 0, err
	}
	resp, err := d.Fetcher.Get(ctx, id)
	if err != nil {
		return storage.Client{}, 0, fmt.Errorf("%w: %w", errDocument, err)
	}
	m, err := d.Policy.Document(id, resp.Body)
	if err != nil {
		return storage.Client{}, 0, fmt.Errorf("%w: %w", errDocument, err)
	}
	c, err := d.save(ctx, id, m)
	return c, resp.MaxAge, err
}

// allowNew counts document id against the requesting IP's budget when
// the server has not stored it before.
func (d *MetadataDocuments) allowNew(ctx context.Context, id string) error {
	if d.limiter == nil {
		return nil
	}
	d.mu.Lock()
	known := d.cache[id].client.ID != ""
	d.mu.Unlock()
	if known {
		return nil
	}
	if _, err := d.Store.GetClient(ctx, id); !errors.Is(err, storage.ErrNotFound) {
		return nil // stored (or the store failed, which saving will report)
	}
	if err := d.limiter.AllowWithin(ctx, ratelimit.ActionClientMetadataDocument, clientip.FromContext(ctx), d.perHour, time.Hour); err != nil {
		return fmt.Errorf("%w: too many new clients from this address: %w", errDocument, err)
	}
	return nil
}

// errUnchanged ends an update that would write nothing new.
var errUnchanged = errors.New("unchanged")

// save creates or updates the client row of document id.
func (d *MetadataDocuments) save(ctx context.Context, id string, m clients.Metadata) (storage.Client, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return storage.Client{}, fmt.Errorf("oauth: marshal document metadata: %w", err)
	}
	now := d.now().UTC()
	want := storage.Client{
		ID: id, Name: m.ClientName, Public: true, Origin: storage.ClientOriginMetadataDocument,
		RedirectURIs: m.RedirectURIs, PostLogoutRedirectURIs: m.PostLogoutRedirectURIs,
		GrantTypes: m.GrantTypes, ResponseTypes: m.ResponseTypes, Scopes: strings.Fields(m.Scope),
		Metadata: raw, CreatedAt: now, UpdatedAt: now,
	}
	for range 2 {
		var out storage.Client
		err := d.Store.UpdateClient(ctx, id, func(c *storage.Client) error {
			if c.Origin != storage.ClientOriginMetadataDocument {
				return fmt.Errorf("%w: client %q was not registered by a metadata document", errDocument, id)
			}
			same := c.Name == want.Name && slices.Equal(c.RedirectURIs, want.RedirectURIs) &&
				slices.Equal(c.PostLogoutRedirectURIs, want.PostLogoutRedirectURIs) && slices.Equal(c.GrantTypes, want.GrantTypes) &&
				slices.Equal(c.Scopes, want.Scopes) && string(c.Metadata) == string(raw) && now.Sub(c.UpdatedAt) < d.MaxCacheAge/2
			keep := *c
			*c = want
			c.CreatedAt, c.LastUsedAt, c.Audience = keep.CreatedAt, keep.LastUsedAt, keep.Audience
			out = *c
			if same {
				out = keep
				return errUnchanged
			}
			return nil
		})
		switch {
		case err == nil, errors.Is(err, errUnchanged):
			return out, nil
		case errors.Is(err, storage.ErrNotFound):
			err = d.Store.CreateClient(ctx, want)
			if errors.Is(err, storage.ErrAlreadyExists) {
				continue // another node stored it first: update that
			}
			if err != nil {
				return storage.Client{}, fmt.Errorf("oauth: store document client: %w", err)
			}
			return want, nil
		default:
			return storage.Client{}, fmt.Errorf("oauth: update document client: %w", err)
		}
	}
	return storage.Client{}, fmt.Errorf("oauth: store document client %q: concurrent updates", id)
}

// warmClient fetches, outside any transaction, the metadata document of
// the client a token request names, so that the request's transaction
// finds it cached (it fetches nothing, withoutFetching).
func (s *Store) warmClient(ctx context.Context, form interface{ Get(string) string }, basicUser string) {
	id := form.Get("client_id")
	if id == "" {
		id = basicUser
	}
	if s.documents != nil && clients.IsDocumentID(id) {
		_, _ = s.documents.Client(ctx, id) // a failure is the client lookup's to report
	}
}
