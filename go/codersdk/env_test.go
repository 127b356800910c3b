package codersdktest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/coder/coder/v2/codersdk"
)

const (
	// wantCountCap is coderd/audit.go's auditLogCountCap in v2.35.1. Every 200 answer carries
	// it as count_cap, and the count query runs with LIMIT count_cap+1
	// (coderd/database/queries/auditlogs.sql), so count is min(matching logs, 2001).
	wantCountCap = 2000
	// defaultPageSize is the page size when limit is absent or 0:
	// LIMIT COALESCE(NULLIF(@limit_opt::int, 0), 100) in auditlogs.sql.
	defaultPageSize = 100
)

type config struct {
	url             *url.URL
	ownerToken      string
	auditorToken    string
	orgAuditorToken string
	memberToken     string
	allowWrites     bool
	maxLogs         int
}

// loadConfig reads the environment, skipping the test when CODER_URL is unset.
func loadConfig(t *testing.T) config {
	t.Helper()
	raw := os.Getenv("CODER_URL")
	if raw == "" {
		t.Skip("CODER_URL is not set: these tests need a running server, e.g. " +
			"`coder-audit-mock serve` or a real Coder v2.35.1 (docs/codersdk.md; " +
			"`tox run -e go` starts the mock for you)")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		t.Fatalf("CODER_URL=%q is not an absolute URL (err: %v)", raw, err)
	}
	cfg := config{
		url:             u,
		ownerToken:      os.Getenv("CODER_TOKEN"),
		auditorToken:    os.Getenv("CODER_AUDITOR_TOKEN"),
		orgAuditorToken: os.Getenv("CODER_ORG_AUDITOR_TOKEN"),
		memberToken:     os.Getenv("CODER_MEMBER_TOKEN"),
		allowWrites:     os.Getenv("CODER_ALLOW_WRITES") == "1",
		maxLogs:         10000,
	}
	if cfg.ownerToken == "" {
		cfg.ownerToken = os.Getenv("CODER_SESSION_TOKEN")
	}
	if cfg.ownerToken == "" {
		t.Fatalf("CODER_URL is set but CODER_TOKEN (an owner's session token) is not")
	}
	if v := os.Getenv("CODER_MAX_LOGS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CODER_MAX_LOGS=%q is not a positive integer", v)
		}
		cfg.maxLogs = n
	}
	return cfg
}

func newClient(cfg config, token string) *codersdk.Client {
	opts := []codersdk.ClientOption{codersdk.WithHTTPClient(&http.Client{Timeout: 2 * time.Minute})}
	if token != "" {
		opts = append(opts, codersdk.WithSessionToken(token))
	}
	return codersdk.New(cfg.url, opts...)
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// sdkError returns err as *codersdk.Error, failing the test when it is not one.
func sdkError(t *testing.T, what string, err error) *codersdk.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error", what)
	}
	var sdkErr *codersdk.Error
	if !errors.As(err, &sdkErr) {
		t.Fatalf("%s: error is %T, not *codersdk.Error: %v", what, err, err)
	}
	return sdkErr
}

// page fetches one page through codersdk and checks what every 200 answer must hold.
func page(t *testing.T, ctx context.Context, c *codersdk.Client, q string, limit, offset int) codersdk.AuditLogResponse {
	t.Helper()
	res, err := c.AuditLogs(ctx, codersdk.AuditLogsRequest{
		SearchQuery: q,
		Pagination:  codersdk.Pagination{Limit: limit, Offset: offset},
	})
	if err != nil {
		t.Fatalf("AuditLogs(q=%q, limit=%d, offset=%d): %v", q, limit, offset, err)
	}
	if res.CountCap != wantCountCap {
		t.Errorf("q=%q limit=%d offset=%d: count_cap = %d, want %d", q, limit, offset, res.CountCap, wantCountCap)
	}
	if res.AuditLogs == nil {
		t.Errorf("q=%q limit=%d offset=%d: audit_logs is null, want an array", q, limit, offset)
	}
	if res.Count < 0 || res.Count > wantCountCap+1 {
		t.Errorf("q=%q limit=%d offset=%d: count = %d, want 0..%d", q, limit, offset, res.Count, wantCountCap+1)
	}
	return res
}

type walked struct {
	logs     []codersdk.AuditLog
	count    int64 // count of the first page; every page must carry the same
	complete bool  // the walk reached a short page (the end), rather than maxLogs
}

// walk reads q's logs page by page (limit pageSize) until a short page or max logs.
func walk(t *testing.T, ctx context.Context, c *codersdk.Client, q string, pageSize, maxLogs int) walked {
	t.Helper()
	var w walked
	for offset := 0; ; {
		res := page(t, ctx, c, q, pageSize, offset)
		if offset == 0 {
			w.count = res.Count
		} else if res.Count != w.count {
			t.Errorf("q=%q: count %d at offset 0 but %d at offset %d (count must not depend on the page)",
				q, w.count, res.Count, offset)
		}
		if len(res.AuditLogs) > pageSize {
			t.Fatalf("q=%q offset=%d: %d logs on a page of limit %d", q, offset, len(res.AuditLogs), pageSize)
		}
		w.logs = append(w.logs, res.AuditLogs...)
		offset += len(res.AuditLogs)
		if len(res.AuditLogs) < pageSize {
			w.complete = true
			return w
		}
		if len(w.logs) >= maxLogs {
			return w
		}
	}
}

// checkCount checks count against what the walk found: count is min(matching, cap+1).
func checkCount(t *testing.T, q string, w walked) {
	t.Helper()
	n := int64(len(w.logs))
	if w.complete {
		if want := min(n, wantCountCap+1); w.count != want {
			t.Errorf("q=%q: count = %d, but walking every page gave %d logs, so want %d (count is capped at count_cap+1 = %d)",
				q, w.count, n, want, wantCountCap+1)
		}
	} else if w.count < min(n, wantCountCap+1) {
		t.Errorf("q=%q: count = %d, but at least %d logs were read", q, w.count, n)
	}
}

// checkNewestFirst checks that logs are ordered by time, newest first, with no id twice.
func checkNewestFirst(t *testing.T, what string, logs []codersdk.AuditLog) {
	t.Helper()
	seen := make(map[uuid.UUID]int, len(logs))
	for i, l := range logs {
		if j, dup := seen[l.ID]; dup {
			t.Errorf("%s: log %s at positions %d and %d", what, l.ID, j, i)
		}
		seen[l.ID] = i
		if i > 0 && l.Time.After(logs[i-1].Time) {
			t.Errorf("%s: log %d (%s, %s) is newer than log %d (%s, %s): want newest first",
				what, i, l.ID, l.Time.Format(time.RFC3339Nano), i-1, logs[i-1].ID, logs[i-1].Time.Format(time.RFC3339Nano))
		}
	}
}

// sameLogs reports how got differs from want as an ordered list. Coder orders by "time" DESC
// alone, so the order among logs of the same time is unspecified: within each run of equal
// times only the set of ids must match.
func sameLogs(got, want []codersdk.AuditLog) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d logs, want %d%s", len(got), len(want), firstDifference(got, want))
	}
	for i := 0; i < len(want); {
		j := i
		for j < len(want) && want[j].Time.Equal(want[i].Time) {
			j++
		}
		ids := map[uuid.UUID]int{}
		for k := i; k < j; k++ {
			ids[want[k].ID]++
			if !got[k].Time.Equal(want[i].Time) {
				return fmt.Errorf("position %d: log %s at %s, want a log at %s (log %s)", k, got[k].ID,
					got[k].Time.Format(time.RFC3339Nano), want[i].Time.Format(time.RFC3339Nano), want[k].ID)
			}
			ids[got[k].ID]--
		}
		for id, n := range ids {
			if n != 0 {
				return fmt.Errorf("positions %d..%d (time %s): log %s appears %+d times more in want than in got",
					i, j-1, want[i].Time.Format(time.RFC3339Nano), id, n)
			}
		}
		i = j
	}
	return nil
}

func firstDifference(got, want []codersdk.AuditLog) string {
	for i := range min(len(got), len(want)) {
		if got[i].ID != want[i].ID {
			return fmt.Sprintf("; first difference at position %d: %s, want %s", i, got[i].ID, want[i].ID)
		}
	}
	return ""
}

func ids(logs []codersdk.AuditLog) map[uuid.UUID]bool {
	m := make(map[uuid.UUID]bool, len(logs))
	for _, l := range logs {
		m[l.ID] = true
	}
	return m
}

func filterLogs(logs []codersdk.AuditLog, keep func(codersdk.AuditLog) bool) []codersdk.AuditLog {
	out := []codersdk.AuditLog{}
	for _, l := range logs {
		if keep(l) {
			out = append(out, l)
		}
	}
	return out
}
