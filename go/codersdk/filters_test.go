package codersdktest

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/coder/coder/v2/codersdk"
)

// Every value of codersdk's enums; in v2.35.1 they are exactly the database enums
// (coderd/database/models.go), so each is a valid filter value.
var (
	allActions = []codersdk.AuditAction{
		codersdk.AuditActionCreate, codersdk.AuditActionWrite, codersdk.AuditActionDelete,
		codersdk.AuditActionStart, codersdk.AuditActionStop, codersdk.AuditActionLogin,
		codersdk.AuditActionLogout, codersdk.AuditActionRegister, codersdk.AuditActionRequestPasswordReset,
		codersdk.AuditActionConnect, codersdk.AuditActionDisconnect, codersdk.AuditActionOpen,
		codersdk.AuditActionClose,
	}
	allResourceTypes = []codersdk.ResourceType{
		codersdk.ResourceTypeTemplate, codersdk.ResourceTypeTemplateVersion, codersdk.ResourceTypeUser,
		codersdk.ResourceTypeWorkspace, codersdk.ResourceTypeWorkspaceBuild, codersdk.ResourceTypeGitSSHKey,
		codersdk.ResourceTypeAPIKey, codersdk.ResourceTypeGroup, codersdk.ResourceTypeLicense,
		codersdk.ResourceTypeConvertLogin, codersdk.ResourceTypeHealthSettings,
		codersdk.ResourceTypeNotificationsSettings, codersdk.ResourceTypePrebuildsSettings,
		codersdk.ResourceTypeWorkspaceProxy, codersdk.ResourceTypeOrganization,
		codersdk.ResourceTypeOAuth2ProviderApp, codersdk.ResourceTypeOAuth2ProviderAppSecret,
		codersdk.ResourceTypeCustomRole, codersdk.ResourceTypeOrganizationMember,
		codersdk.ResourceTypeNotificationTemplate, codersdk.ResourceTypeIdpSyncSettingsOrganization,
		codersdk.ResourceTypeIdpSyncSettingsGroup, codersdk.ResourceTypeIdpSyncSettingsRole,
		codersdk.ResourceTypeWorkspaceAgent, codersdk.ResourceTypeWorkspaceApp, codersdk.ResourceTypeTask,
		codersdk.ResourceTypeAISeat, codersdk.ResourceTypeAIProvider, codersdk.ResourceTypeAIProviderKey,
		codersdk.ResourceTypeAIGatewayKey, codersdk.ResourceTypeGroupAIBudget,
		codersdk.ResourceTypeUserAIBudgetOverride, codersdk.ResourceTypeChat,
		codersdk.ResourceTypeUserSecret, codersdk.ResourceTypeUserSkill,
	}
)

// plainValue is a value that needs no quoting in a search query.
var plainValue = regexp.MustCompile(`^[A-Za-z0-9_.@+-]+$`)

type filterCase struct {
	q    string
	keep func(codersdk.AuditLog) bool
	// exact: the filter returns exactly the logs keep accepts (checked against the whole
	// log when it was read completely). Otherwise keep is only a necessary condition.
	exact bool
	// check, when set, runs on the filtered logs and the logs keep accepts.
	check func(t *testing.T, got, candidates []codersdk.AuditLog)
}

// TestFilters runs search queries with values drawn from the server's own log and checks that
// every log returned matches, that count agrees with the logs returned, and (for filters whose
// matching is computable from the log's fields) that no matching log is missing.
func TestFilters(t *testing.T) {
	cfg := loadConfig(t)
	ctx := testContext(t)
	c := newClient(cfg, cfg.ownerToken)
	all := walk(t, ctx, c, "", 500, cfg.maxLogs)
	if !all.complete {
		t.Logf("the log has more than CODER_MAX_LOGS=%d logs: checking only that results match their filter", cfg.maxLogs)
	}

	var cases []filterCase
	add := func(q string, exact bool, keep func(codersdk.AuditLog) bool) {
		cases = append(cases, filterCase{q: q, keep: keep, exact: exact})
	}
	always := func(codersdk.AuditLog) bool { return true }

	for _, a := range allActions {
		add("action:"+string(a), true, func(l codersdk.AuditLog) bool { return l.Action == a })
	}
	// The whole query is lowercased before parsing (searchquery.AuditLogs).
	add("ACTION:"+strings.ToUpper(string(codersdk.AuditActionCreate)), true,
		func(l codersdk.AuditLog) bool { return l.Action == codersdk.AuditActionCreate })
	for _, r := range allResourceTypes {
		add("resource_type:"+string(r), true, func(l codersdk.AuditLog) bool { return l.ResourceType == r })
	}
	// A word without a colon is a resource_type.
	add("workspace", true, func(l codersdk.AuditLog) bool { return l.ResourceType == codersdk.ResourceTypeWorkspace })
	add("  action:delete   resource_type:template  ", true, func(l codersdk.AuditLog) bool {
		return l.Action == codersdk.AuditActionDelete && l.ResourceType == codersdk.ResourceTypeTemplate
	})
	// The nil uuid means "no filter" in the SQL (CASE WHEN @x != '0000…' …).
	add("request_id:"+uuid.Nil.String(), true, always)
	add("resource_id:"+uuid.Nil.String(), true, always)

	for _, pair := range mostCommon(all.logs, 3, func(l codersdk.AuditLog) string {
		return string(l.Action) + " " + string(l.ResourceType)
	}) {
		a, r, _ := strings.Cut(pair, " ")
		add("action:"+a+" resource_type:"+r, true, func(l codersdk.AuditLog) bool {
			return string(l.Action) == a && string(l.ResourceType) == r
		})
	}

	// username: lower(username) = lower(value) among users not deleted; the log's user may be a
	// deleted one of the same name, so the result is the logs of one user with that name.
	usernames := mostCommon(all.logs, 6, func(l codersdk.AuditLog) string {
		if l.User == nil || !plainValue.MatchString(l.User.Username) {
			return ""
		}
		return l.User.Username
	})
	mixedCase := firstMatching(all.logs, func(l codersdk.AuditLog) string {
		if l.User != nil && l.User.Username != strings.ToLower(l.User.Username) && plainValue.MatchString(l.User.Username) {
			return l.User.Username // a mixed-case name, if any: the match is case-insensitive
		}
		return ""
	})
	if len(mixedCase) > 0 && !slices.Contains(usernames, mixedCase[0]) {
		usernames = append(usernames, mixedCase[0])
	}
	for _, name := range usernames {
		cases = append(cases, filterCase{
			q:    "username:" + name,
			keep: func(l codersdk.AuditLog) bool { return l.User != nil && strings.EqualFold(l.User.Username, name) },
			check: func(t *testing.T, got, candidates []codersdk.AuditLog) {
				users := map[uuid.UUID]bool{}
				for _, l := range got {
					users[l.User.ID] = true
				}
				if len(users) > 1 {
					t.Errorf("logs of %d different users, want those of the one live user named %q", len(users), name)
				}
				if !all.complete {
					return
				}
				want := ids(candidates)
				for _, l := range got {
					if !want[l.ID] {
						t.Errorf("log %s is not in the whole log's logs of user %q", l.ID, name)
					}
				}
				for _, l := range candidates {
					if users[l.User.ID] && !ids(got)[l.ID] {
						t.Errorf("log %s of user %s (%q) is missing", l.ID, l.User.ID, name)
					}
				}
			},
		})
	}

	// email: users.email = value, after the query is lowercased.
	for _, email := range mostCommon(all.logs, 4, func(l codersdk.AuditLog) string {
		if l.User == nil || !plainValue.MatchString(l.User.Email) {
			return ""
		}
		return l.User.Email
	}) {
		add("email:"+email, true, func(l codersdk.AuditLog) bool { return l.User != nil && l.User.Email == strings.ToLower(email) })
	}
	// resource_target: exact match with the lowercased value.
	for _, target := range mostCommon(all.logs, 4, func(l codersdk.AuditLog) string {
		if !plainValue.MatchString(l.ResourceTarget) {
			return ""
		}
		return l.ResourceTarget
	}) {
		add("resource_target:"+target, true, func(l codersdk.AuditLog) bool { return l.ResourceTarget == strings.ToLower(target) })
	}
	for _, id := range mostCommon(all.logs, 3, func(l codersdk.AuditLog) string { return nonNil(l.ResourceID) }) {
		add("resource_id:"+id, true, func(l codersdk.AuditLog) bool { return l.ResourceID.String() == id })
	}
	for _, id := range mostCommon(all.logs, 3, func(l codersdk.AuditLog) string { return nonNil(l.RequestID) }) {
		add("request_id:"+id, true, func(l codersdk.AuditLog) bool { return l.RequestID.String() == id })
	}
	// organization: by id, or by name.
	for _, id := range mostCommon(all.logs, 3, func(l codersdk.AuditLog) string { return nonNil(l.OrganizationID) }) {
		add("organization:"+id, true, func(l codersdk.AuditLog) bool { return l.OrganizationID.String() == id })
	}
	for _, name := range mostCommon(all.logs, 2, func(l codersdk.AuditLog) string {
		if l.Organization == nil || l.Organization.Name != strings.ToLower(l.Organization.Name) || !plainValue.MatchString(l.Organization.Name) {
			return ""
		}
		return l.Organization.Name + " " + l.Organization.ID.String()
	}) {
		name, id, _ := strings.Cut(name, " ")
		add("organization:"+name, true, func(l codersdk.AuditLog) bool { return l.OrganizationID.String() == id })
	}

	// date_from/date_to: "time" >= date_from (00:00 UTC), "time" <= date_to + 23:59:59.
	if len(all.logs) > 0 {
		newer := utcDate(all.logs[len(all.logs)/3].Time)
		older := utcDate(all.logs[2*len(all.logs)/3].Time)
		from := func(d time.Time) func(codersdk.AuditLog) bool {
			return func(l codersdk.AuditLog) bool { return !l.Time.Before(d) }
		}
		to := func(d time.Time) func(codersdk.AuditLog) bool {
			end := d.Add(23*time.Hour + 59*time.Minute + 59*time.Second)
			return func(l codersdk.AuditLog) bool { return !l.Time.After(end) }
		}
		day := func(d time.Time) string { return d.Format("2006-01-02") }
		add("date_from:"+day(newer), true, from(newer))
		add("date_to:"+day(older), true, to(older))
		add("date_from:"+day(older)+" date_to:"+day(newer), true, func(l codersdk.AuditLog) bool {
			return from(older)(l) && to(newer)(l)
		})
		add("date_from:"+day(newer)+" date_to:"+day(newer), true, func(l codersdk.AuditLog) bool {
			return from(newer)(l) && to(newer)(l)
		})
	}

	// build_reason joins workspace_builds, which the log does not show: only workspace builds,
	// and workspace creates (build number 1), can match.
	for _, reason := range []codersdk.BuildReason{
		codersdk.BuildReasonInitiator, codersdk.BuildReasonAutostart, codersdk.BuildReasonAutostop,
		codersdk.BuildReasonDormancy, codersdk.BuildReasonCLI,
	} {
		add("build_reason:"+string(reason), false, func(l codersdk.AuditLog) bool {
			return l.ResourceType == codersdk.ResourceTypeWorkspaceBuild ||
				(l.ResourceType == codersdk.ResourceTypeWorkspace && l.Action == codersdk.AuditActionCreate)
		})
	}

	nonEmpty := 0
	for _, fc := range cases {
		t.Run(fc.q, func(t *testing.T) {
			got := runFilter(t, ctx, c, cfg, fc, all)
			if len(got) > 0 {
				nonEmpty++
			}
		})
	}
	t.Logf("%d queries, %d with a non-empty result", len(cases), nonEmpty)
}

func runFilter(t *testing.T, ctx context.Context, c *codersdk.Client, cfg config, fc filterCase, all walked) []codersdk.AuditLog {
	t.Helper()
	w := walk(t, ctx, c, fc.q, 250, cfg.maxLogs)
	checkNewestFirst(t, "q="+fc.q, w.logs)
	checkCount(t, fc.q, w)
	bad := 0
	for _, l := range w.logs {
		if !fc.keep(l) {
			bad++
			if bad <= 5 {
				t.Errorf("q=%q returned log %s (action %s, resource_type %s, time %s), which does not match",
					fc.q, l.ID, l.Action, l.ResourceType, l.Time.Format(time.RFC3339Nano))
			}
		}
	}
	candidates := filterLogs(all.logs, fc.keep)
	if fc.exact && all.complete && w.complete {
		if err := sameLogs(w.logs, candidates); err != nil {
			t.Errorf("q=%q vs the logs of the whole log that match it: %v", fc.q, err)
		}
	}
	if fc.check != nil {
		fc.check(t, w.logs, candidates)
	}
	t.Logf("q=%q: %d logs, count %d", fc.q, len(w.logs), w.count)
	return w.logs
}

// mostCommon returns up to n of the most frequent non-empty keys of logs (ties by key).
func mostCommon(logs []codersdk.AuditLog, n int, key func(codersdk.AuditLog) string) []string {
	counts := map[string]int{}
	for _, l := range logs {
		if k := key(l); k != "" {
			counts[k]++
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys[:min(n, len(keys))]
}

func firstMatching(logs []codersdk.AuditLog, key func(codersdk.AuditLog) string) []string {
	for _, l := range logs {
		if k := key(l); k != "" {
			return []string{k}
		}
	}
	return nil
}

func nonNil(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

func utcDate(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
