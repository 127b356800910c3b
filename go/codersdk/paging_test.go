package codersdktest

import (
	"math"
	"testing"

	"github.com/coder/coder/v2/codersdk"
)

// TestPaging walks the log with limit/offset and checks the pages against one big page: the
// same logs in the same order (newest first), no duplicates, no gaps, and the same count on
// every page.
func TestPaging(t *testing.T) {
	cfg := loadConfig(t)
	ctx := testContext(t)
	c := newClient(cfg, cfg.ownerToken)

	all := walk(t, ctx, c, "", 500, cfg.maxLogs)
	checkNewestFirst(t, "whole log, pages of 500", all.logs)
	checkCount(t, "", all)
	t.Logf("log: %d logs read (complete: %v), count %d", len(all.logs), all.complete, all.count)
	if all.complete && len(all.logs) > wantCountCap {
		t.Logf("more than count_cap logs: count must be count_cap+1 = %d, got %d", wantCountCap+1, all.count)
	}

	n := min(len(all.logs), 300)
	if n == 0 {
		t.Skip("the server has no audit logs: nothing to page through")
	}
	big := page(t, ctx, c, "", n, 0)
	if big.Count != all.count {
		t.Errorf("limit=%d: count %d, but %d with limit=500", n, big.Count, all.count)
	}
	if err := sameLogs(big.AuditLogs, all.logs[:n]); err != nil {
		t.Errorf("one page of limit=%d vs the first %d logs read in pages of 500: %v", n, n, err)
	}

	for _, size := range []int{1, 7, 50, 128} {
		var concat []codersdk.AuditLog
		for offset := 0; offset < n; offset += size {
			res := page(t, ctx, c, "", size, offset)
			if res.Count != big.Count {
				t.Errorf("limit=%d offset=%d: count %d, want %d as on every page", size, offset, res.Count, big.Count)
			}
			want := size
			if all.complete {
				want = min(size, len(all.logs)-offset)
			}
			if len(res.AuditLogs) != want {
				t.Errorf("limit=%d offset=%d: %d logs, want %d", size, offset, len(res.AuditLogs), want)
			}
			concat = append(concat, res.AuditLogs...)
		}
		concat = concat[:min(len(concat), n)]
		checkNewestFirst(t, "pages concatenated", concat)
		if err := sameLogs(concat, big.AuditLogs); err != nil {
			t.Errorf("pages of limit=%d concatenated vs one page of limit=%d: %v", size, n, err)
		}
	}

	// No limit (codersdk sends none for 0): the default page size.
	def := page(t, ctx, c, "", 0, 0)
	wantDefault := defaultPageSize
	if all.complete {
		wantDefault = min(defaultPageSize, len(all.logs))
	}
	if len(def.AuditLogs) != wantDefault {
		t.Errorf("no limit: %d logs, want %d (the default page size is %d)", len(def.AuditLogs), wantDefault, defaultPageSize)
	} else if err := sameLogs(def.AuditLogs, all.logs[:wantDefault]); err != nil {
		t.Errorf("no limit vs the first %d logs: %v", wantDefault, err)
	}

	// after_id is parsed but not used by GET /api/v2/audit (coderd/audit.go passes only
	// offset and limit to the query).
	if len(all.logs) > 5 {
		res, err := c.AuditLogs(ctx, codersdk.AuditLogsRequest{Pagination: codersdk.Pagination{
			AfterID: all.logs[5].ID, Limit: 20,
		}})
		if err != nil {
			t.Fatalf("after_id=%s limit=20: %v", all.logs[5].ID, err)
		}
		if err := sameLogs(res.AuditLogs, all.logs[:min(20, len(all.logs))]); err != nil {
			t.Errorf("after_id=%s limit=20 vs limit=20 alone: %v (after_id is ignored by this endpoint)", all.logs[5].ID, err)
		}
	}

	// Past the end: an empty page (an array, not null), count unchanged.
	offsets := []int{math.MaxInt32}
	if all.complete {
		offsets = append(offsets, len(all.logs), len(all.logs)+1000)
	}
	for _, offset := range offsets {
		res := page(t, ctx, c, "", 10, offset)
		if len(res.AuditLogs) != 0 {
			t.Errorf("offset=%d (past the end): %d logs, want none", offset, len(res.AuditLogs))
		}
		if res.Count != all.count {
			t.Errorf("offset=%d: count %d, want %d (count does not depend on offset)", offset, res.Count, all.count)
		}
	}
}
