package codersdktest

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/coder/coder/v2/codersdk"
)

// TestRoles: who may read the audit log (coderd/coderd.go's /audit route group and dbauthz's
// GetAuditLogsOffset/CountAuditLogs in v2.35.1).
func TestRoles(t *testing.T) {
	cfg := loadConfig(t)
	ctx := testContext(t)
	owner := walk(t, ctx, newClient(cfg, cfg.ownerToken), "", 500, cfg.maxLogs)

	t.Run("auditor", func(t *testing.T) {
		// A site-wide auditor can read every log, as the owner does: the same logs and count.
		if cfg.auditorToken == "" {
			t.Skip("CODER_AUDITOR_TOKEN is not set")
		}
		got := walk(t, ctx, newClient(cfg, cfg.auditorToken), "", 500, cfg.maxLogs)
		if got.count != owner.count {
			t.Errorf("auditor's count %d, owner's %d", got.count, owner.count)
		}
		if err := sameLogs(got.logs, owner.logs); err != nil {
			t.Errorf("auditor's logs vs owner's: %v", err)
		}
	})

	t.Run("org-auditor", func(t *testing.T) {
		// An organization auditor passes the route check (audit_log read in some organization)
		// and the SQL filter keeps only logs of its organizations: never a site-wide log.
		if cfg.orgAuditorToken == "" {
			t.Skip("CODER_ORG_AUDITOR_TOKEN is not set")
		}
		got := walk(t, ctx, newClient(cfg, cfg.orgAuditorToken), "", 500, cfg.maxLogs)
		checkNewestFirst(t, "org-auditor's logs", got.logs)
		checkCount(t, "(as org-auditor)", got)
		if got.count > owner.count {
			t.Errorf("org-auditor's count %d is more than the owner's %d", got.count, owner.count)
		}
		ownerIDs := ids(owner.logs)
		orgs := map[uuid.UUID]int{}
		for _, l := range got.logs {
			orgs[l.OrganizationID]++
			if l.OrganizationID == uuid.Nil {
				t.Errorf("org-auditor sees log %s, which belongs to no organization", l.ID)
			}
			if owner.complete && !ownerIDs[l.ID] {
				t.Errorf("org-auditor sees log %s, which the owner does not", l.ID)
			}
		}
		if owner.complete && got.complete {
			// Every log of those organizations is visible to it.
			want := filterLogs(owner.logs, func(l codersdk.AuditLog) bool { return orgs[l.OrganizationID] > 0 })
			if err := sameLogs(got.logs, want); err != nil {
				t.Errorf("org-auditor's logs vs the owner's logs of organization(s) %v: %v", orgs, err)
			}
		}
		t.Logf("org-auditor: %d logs in %d organization(s), count %d", len(got.logs), len(orgs), got.count)
	})

	t.Run("member", func(t *testing.T) {
		// A plain member has no audit_log read permission: 403, before the query is checked.
		if cfg.memberToken == "" {
			t.Skip("CODER_MEMBER_TOKEN is not set")
		}
		c := newClient(cfg, cfg.memberToken)
		for _, q := range []string{"", "action:nope"} {
			_, err := c.AuditLogs(ctx, codersdk.AuditLogsRequest{SearchQuery: q})
			sdkErr := sdkError(t, "member", err)
			if sdkErr.StatusCode() != http.StatusForbidden {
				t.Errorf("member, q=%q: status %d, want 403: %v", q, sdkErr.StatusCode(), sdkErr)
			}
			if sdkErr.Message != "Forbidden." || sdkErr.Detail != forbiddenDetail {
				t.Errorf("member, q=%q: message %q detail %q", q, sdkErr.Message, sdkErr.Detail)
			}
		}
	})
}
