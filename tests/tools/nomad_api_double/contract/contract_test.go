package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

// ok and ok2 turn a call's (value, [meta,] error) into a value, failing the test on an error:
// ok(client.Status().Leader())(t, "leader").
func ok[T any](value T, err error) func(*testing.T, string) T {
	return func(t *testing.T, what string) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return value
	}
}

func ok2[T any, M any](value T, _ M, err error) func(*testing.T, string) T {
	return ok(value, err)
}

func check(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ptr[T any](v T) *T { return &v }

// statusOf sends one request with Nomad's token header and returns the status and body, for the
// few answers the api client hides (204 vs 200, 500 health texts).
func statusOf(t *testing.T, d *double, token, method, path string) (int, string) {
	t.Helper()
	req := ok(http.NewRequest(method, d.URL+path, nil))(t, "request")
	req.Header.Set("X-Nomad-Token", token)
	resp := ok(http.DefaultClient.Do(req))(t, method+" "+path)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// driveEveryRoute calls each route of the routes table (the ones the collection uses) with api.Client.
func driveEveryRoute(t *testing.T, d *double) {
	cfg := api.DefaultConfig()
	cfg.Address = d.URL
	client := ok(api.NewClient(cfg))(t, "client")

	// status, agent (no token needed for these)
	if leader := ok(client.Status().Leader())(t, "leader"); leader == "" {
		t.Fatal("no leader")
	}
	ok(client.Status().Peers())(t, "peers")
	health := ok(client.Agent().Health())(t, "agent health")
	if health.Server == nil || !health.Server.Ok || health.Client != nil {
		t.Fatalf("a server agent's health: %+v", health)
	}
	if code, body := statusOf(t, d, "", "GET", "/v1/agent/health?type=client"); code != 500 ||
		body != `{"client":{"ok":false,"message":"client not enabled"}}` {
		t.Fatalf("health ?type=client on a server agent: %d %s", code, body)
	}

	// ACL bootstrap (PUT; the modules POST), then everything with the management token
	boot := ok2(client.ACLTokens().BootstrapOpts("", nil))(t, "bootstrap")
	if boot.Type != "management" || !boot.Global {
		t.Fatalf("bootstrap token: %+v", boot)
	}
	client.SetSecretID(boot.SecretID)
	raw := ok(api.NewClient(cfg))(t, "raw client")
	raw.SetSecretID(boot.SecretID)
	var again api.ACLToken
	if _, err := raw.Raw().Write("/v1/acl/bootstrap", &api.BootstrapRequest{}, &again, nil); err == nil ||
		!strings.Contains(err.Error(), "ACL bootstrap already done") {
		t.Fatalf("second bootstrap: %v", err)
	}
	ok(client.Agent().Self())(t, "agent self")

	// ACL policies, roles, tokens
	policy := &api.ACLPolicy{Name: "reader", Description: "read nodes", Rules: "node {\n  policy = \"read\"\n}\n"}
	ok(client.ACLPolicies().Upsert(policy, nil))(t, "policy upsert")
	ok2(client.ACLPolicies().Info("reader", nil))(t, "policy info")
	ok2(client.ACLPolicies().List(nil))(t, "policy list")
	role := ok2(client.ACLRoles().Create(&api.ACLRole{
		Name: "ops", Policies: []*api.ACLRolePolicyLink{{Name: "reader"}}}, nil))(t, "role create")
	role.Description = "operators"
	ok2(client.ACLRoles().Update(role, nil))(t, "role update")
	ok2(client.ACLRoles().Get(role.ID, nil))(t, "role get")
	ok2(client.ACLRoles().GetByName("ops", nil))(t, "role by name")
	ok2(client.ACLRoles().List(nil))(t, "role list")
	token := ok2(client.ACLTokens().Create(&api.ACLToken{
		Name: "ci", Type: "client", Policies: []string{"reader"}, Roles: []*api.ACLTokenRoleLink{{Name: "ops"}},
		ExpirationTTL: time.Hour}, nil))(t, "token create")
	if token.ExpirationTTL != time.Hour || token.ExpirationTime == nil {
		t.Fatalf("token TTL round trip: %+v", token)
	}
	token.Name = "ci-renamed"
	ok2(client.ACLTokens().Update(token, nil))(t, "token update")
	token.Global = true
	if _, _, err := client.ACLTokens().Update(token, nil); err == nil ||
		!strings.Contains(err.Error(), "token 0 invalid") || !strings.Contains(err.Error(), "cannot toggle global mode") {
		t.Fatalf("toggling Global must be refused (nomad/structs/acl.go ACLToken.Validate): %v", err)
	}
	ok2(client.ACLTokens().Info(token.AccessorID, nil))(t, "token info")
	ok2(client.ACLTokens().Self(nil))(t, "token self")
	ok2(client.ACLTokens().List(nil))(t, "token list")

	// auth methods, binding rules
	method := ok2(client.ACLAuthMethods().Create(&api.ACLAuthMethod{
		Name: "workload", Type: "JWT", TokenLocality: "local", MaxTokenTTL: time.Hour,
		Config: &api.ACLAuthMethodConfig{JWKSURL: "https://nomad.example:4646/.well-known/jwks.json",
			BoundAudiences: []string{"nomadproject.io"}}}, nil))(t, "auth method create")
	if method.MaxTokenTTL != time.Hour {
		t.Fatalf("auth method MaxTokenTTL round trip: %v", method.MaxTokenTTL)
	}
	ok2(client.ACLAuthMethods().Update(method, nil))(t, "auth method update")
	ok2(client.ACLAuthMethods().Get("workload", nil))(t, "auth method get")
	ok2(client.ACLAuthMethods().List(nil))(t, "auth method list")
	rule := ok2(client.ACLBindingRules().Create(&api.ACLBindingRule{
		AuthMethod: "workload", BindType: "role", BindName: "ops", Selector: `"ops" in list.groups`}, nil))(t, "binding rule create")
	rule.Description = "ops group"
	ok2(client.ACLBindingRules().Update(rule, nil))(t, "binding rule update")
	ok2(client.ACLBindingRules().Get(rule.ID, nil))(t, "binding rule get")
	ok2(client.ACLBindingRules().List(nil))(t, "binding rule list")
	intro := ok2(client.ACLIdentity().CreateClientIntroductionToken(
		&api.ACLIdentityClientIntroductionTokenRequest{TTL: 2 * time.Hour, NodePool: "edge-arm"}, nil))(t, "client introduction token")
	if strings.Count(intro.JWT, ".") != 2 {
		t.Fatalf("client introduction token: %q", intro.JWT)
	}

	// namespaces, node pools
	ok(client.Namespaces().Register(&api.Namespace{Name: "apps", Description: "apps"}, nil))(t, "namespace register")
	ok(raw.Raw().Write("/v1/namespace/apps", &api.Namespace{Name: "apps", Description: "by name"}, nil, nil))(t,
		"namespace register by name")
	ok2(client.Namespaces().Info("apps", nil))(t, "namespace info")
	ok2(client.Namespaces().List(nil))(t, "namespace list")
	ok(client.NodePools().Register(&api.NodePool{Name: "edge-lab",
		Description: "lab", Meta: map[string]string{"site": "lab"}, NodeIdentityTTL: 12 * time.Hour}, nil))(t, "node pool register")
	ok(raw.Raw().Write("/v1/node/pool/edge-lab", &api.NodePool{Name: "edge-lab", Description: "lab",
		NodeIdentityTTL: 12 * time.Hour}, nil, nil))(t, "node pool register by name")
	pool := ok2(client.NodePools().Info("edge-lab", nil))(t, "node pool info")
	if pool.NodeIdentityTTL != 12*time.Hour {
		t.Fatalf("node pool NodeIdentityTTL round trip: %v", pool.NodeIdentityTTL)
	}
	if _, err := client.NodePools().Register(&api.NodePool{Name: "gov",
		SchedulerConfiguration: &api.NodePoolSchedulerConfiguration{SchedulerAlgorithm: "spread"}}, nil); err == nil ||
		!strings.Contains(err.Error(), `Feature "Node Pools Governance" is unlicensed`) {
		t.Fatalf("scheduler options on CE must be refused (nomad/node_pool_endpoint_ce.go): %v", err)
	}
	ok2(client.NodePools().List(nil))(t, "node pool list")

	// nodes: list (os=true), info, drain, eligibility
	nodes := ok2(client.Nodes().List(&api.QueryOptions{Params: map[string]string{"os": "true"}}))(t, "nodes")
	if len(nodes) == 0 {
		t.Fatal("no nodes")
	}
	node := ok2(client.Nodes().Info(nodes[0].ID, nil))(t, "node info")
	ok(client.Nodes().UpdateDrainOpts(node.ID, &api.DrainOptions{
		DrainSpec: &api.DrainSpec{Deadline: time.Hour, IgnoreSystemJobs: true}, Meta: map[string]string{"why": "c"}}, nil))(t, "drain")
	ok(client.Nodes().UpdateDrainOpts(node.ID, &api.DrainOptions{MarkEligible: true}, nil))(t, "drain off")
	ok(client.Nodes().ToggleEligibility(node.ID, false, nil))(t, "ineligible")
	ok(client.Nodes().ToggleEligibility(node.ID, true, nil))(t, "eligible")

	// jobs: parse, plan, register (PUT /v1/jobs and POST /v1/job/:id), read, list, deployment,
	// evaluation, deregister
	job := ok(client.Jobs().ParseHCLOpts(&api.JobsParseRequest{Canonicalize: true,
		JobHCL: "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"exec\"\n    }\n  }\n}\n"}))(t, "parse")
	plan := ok2(client.Jobs().PlanOpts(job, &api.PlanOptions{Diff: true}, nil))(t, "plan")
	if plan.Diff == nil || plan.Diff.Type != "Added" {
		t.Fatalf("plan diff: %+v", plan.Diff)
	}
	reg := ok2(client.Jobs().RegisterOpts(job, &api.RegisterOptions{EnforceIndex: true,
		ModifyIndex: plan.JobModifyIndex}, nil))(t, "register")
	if dep, _, err := client.Jobs().LatestDeployment("web", nil); err != nil || dep != nil {
		t.Fatalf("before the scheduler ran, no deployment (nomad/job_endpoint.go doRegister): %+v %v", dep, err)
	}
	var evaluation *api.Evaluation
	for i := 0; i < 5 && (evaluation == nil || evaluation.Status == "pending"); i++ {
		evaluation = ok2(client.Evaluations().Info(reg.EvalID, nil))(t, "evaluation")
	}
	if evaluation.Status != "complete" || evaluation.DeploymentID == "" {
		t.Fatalf("evaluation: %+v", evaluation)
	}
	dep := ok2(client.Jobs().LatestDeployment("web", nil))(t, "deployment")
	if dep == nil || dep.ID != evaluation.DeploymentID || dep.JobVersion != 0 {
		t.Fatalf("deployment: %+v", dep)
	}
	var byID api.JobRegisterResponse
	ok(raw.Raw().Write("/v1/job/web", &api.JobRegisterRequest{Job: job}, &byID, nil))(t, "register by id")
	// versions (with Nomad's diffs against one version), revert (nomad/job_endpoint.go GetJobVersions, Revert)
	job.Meta = map[string]string{"release": "2"}
	ok2(client.Jobs().Register(job, nil))(t, "register version 1")
	versions, diffs, _, err := client.Jobs().VersionsOpts("web", &api.VersionsOptions{Diffs: true, DiffVersion: ptr(uint64(0))}, nil)
	check(t, "versions", err)
	if len(versions) != 2 || *versions[0].Version != 1 || len(diffs) != 2 || diffs[0].Type != "Edited" || diffs[1].Type != "None" {
		t.Fatalf("versions against version 0: %d versions, diffs %+v", len(versions), diffs)
	}
	if _, _, err := client.Jobs().Revert("web", 1, nil, nil, "", ""); err == nil ||
		!strings.Contains(err.Error(), "can't revert to current version") {
		t.Fatalf("a revert to the current version must be refused (nomad/job_endpoint.go Job.Revert): %v", err)
	}
	reverted := ok2(client.Jobs().Revert("web", 0, ptr(uint64(1)), nil, "", ""))(t, "revert")
	if reverted.EvalID == "" {
		t.Fatalf("revert: %+v", reverted)
	}
	ok2(client.Allocations().List(nil))(t, "allocation list")
	ok2(client.Deployments().List(nil))(t, "deployment list")
	ok2(client.Jobs().Info("web", nil))(t, "job info")
	ok2(client.Jobs().List(nil))(t, "job list")
	bad := *job
	bad.ID = ptr("bad")
	bad.TaskGroups = []*api.TaskGroup{{Name: ptr("g"), Tasks: job.TaskGroups[0].Tasks,
		Disconnect: &api.DisconnectStrategy{LostAfter: ptr(time.Hour), StopOnClientAfter: ptr(time.Minute)}}}
	if _, _, err := client.Jobs().RegisterOpts(&bad, nil, nil); err == nil ||
		!strings.Contains(err.Error(), "Disconnect cannot be configured with both lost_after and stop_after") {
		t.Fatalf("lost_after with stop_on_client_after must be refused (structs/group.go DisconnectStrategy.Validate): %v", err)
	}
	ok2(client.Jobs().DeregisterOpts("web", &api.DeregisterOptions{Purge: true}, nil))(t, "deregister")

	// variables (204 on delete: command/agent/variable_endpoint.go variableDelete)
	variable := ok2(client.Variables().CheckedCreate(&api.Variable{Path: "app/conf",
		Items: api.VariableItems{"k": "v"}}, nil))(t, "var create")
	ok2(client.Variables().Read("app/conf", nil))(t, "var read")
	variable.Items["k"] = "w"
	variable = ok2(client.Variables().CheckedUpdate(variable, nil))(t, "var update")
	ok2(client.Variables().List(nil))(t, "var list")
	ok(client.Variables().CheckedDelete("app/conf", variable.ModifyIndex, nil))(t, "var delete")
	ok(func() (any, error) {
		_, _, err := client.Variables().Create(&api.Variable{Path: "app/tmp", Items: api.VariableItems{"k": "v"}}, nil)
		return nil, err
	}())(t, "var create 2")
	if code, _ := statusOf(t, d, boot.SecretID, "DELETE", "/v1/var/app/tmp"); code != http.StatusNoContent {
		t.Fatalf("DELETE /v1/var answers 204 in Nomad, the double said %d", code)
	}

	// operator
	conf := ok2(client.Operator().AutopilotGetConfiguration(nil))(t, "autopilot config")
	conf.MaxTrailingLogs = 500
	if applied := ok2(client.Operator().AutopilotCASConfiguration(conf, nil))(t, "autopilot cas"); !applied {
		t.Fatal("autopilot CAS refused with the current index")
	}
	// A stale index is not an error: the handler answers 200 false (nomad/state/autopilot.go AutopilotCASConfig).
	if applied := ok2(client.Operator().AutopilotCASConfiguration(conf, nil))(t, "autopilot stale cas"); applied {
		t.Fatal("autopilot CAS with a stale index must answer false")
	}
	ok2(client.Operator().AutopilotServerHealth(nil))(t, "autopilot health")
	raft := ok(client.Operator().RaftGetConfiguration(nil))(t, "raft configuration")
	last := raft.Servers[len(raft.Servers)-1]
	check(t, "raft peer remove", client.Operator().RaftRemovePeerByID(string(last.ID), nil))
	if after := ok(client.Operator().RaftGetConfiguration(nil))(t, "raft configuration"); len(after.Servers) != len(raft.Servers)-1 {
		t.Fatalf("DELETE /v1/operator/raft/peer?id= must remove the peer: %d servers left of %d", len(after.Servers), len(raft.Servers))
	}
	if err := client.Operator().RaftRemovePeerByID(string(last.ID), nil); err == nil ||
		!strings.Contains(err.Error(), "was not found in the Raft configuration") {
		t.Fatalf("removing an unknown peer is refused (nomad/operator_endpoint.go RaftRemovePeerByID): %v", err)
	}
	ok(client.Regions().List())(t, "regions")
	if joined, err := client.Agent().Join("192.0.2.99"); err == nil || joined != 0 {
		t.Fatalf("a join nobody answers reports its error (memberlist Join): %d %v", joined, err)
	}
	if _, _, err := client.Operator().LicenseGet(nil); err == nil || err.Error() != "Nomad Enterprise only endpoint" {
		t.Fatalf("the community edition answers GET /v1/operator/license with 204 (operator_endpoint_ce.go): %v", err)
	}
	snap := ok(client.Operator().Snapshot(nil))(t, "snapshot")
	archive := ok(io.ReadAll(snap))(t, "snapshot read")
	_ = snap.Close()
	ok(client.Operator().SnapshotRestore(bytes.NewReader(archive), nil))(t, "snapshot restore")

	// scheduler configuration, host and CSI volumes, services (objects_test.go)
	driveSchedulerAndVolumes(t, d, client)

	// deletes last (the snapshot restore above brought the objects back)
	check(t, "binding rule delete", errOnly(client.ACLBindingRules().Delete(rule.ID, nil)))
	check(t, "auth method delete", errOnly(client.ACLAuthMethods().Delete("workload", nil)))
	check(t, "token delete", errOnly(client.ACLTokens().Delete(token.AccessorID, nil)))
	check(t, "role delete", errOnly(client.ACLRoles().Delete(role.ID, nil)))
	check(t, "policy delete", errOnly(client.ACLPolicies().Delete("reader", nil)))
	check(t, "namespace delete", errOnly(client.Namespaces().Delete("apps", nil)))
	check(t, "node pool delete", errOnly(client.NodePools().Delete("edge-lab", nil)))
}

func errOnly(_ *api.WriteMeta, err error) error { return err }

// TestContract drives every route with api.Client, then checks that the modules called no route
// the drive did not cover, and that every body they sent decodes strictly into Nomad's api type.
func TestContract(t *testing.T) {
	d := startDouble(t, "--acl", "--nodes", "6")
	ent := startDouble(t, "--acl", "--nodes", "2", "--enterprise")
	t.Run("drive every route with api.Client", func(t *testing.T) { driveEveryRoute(t, d) })
	t.Run("drive the Enterprise routes with api.Client", func(t *testing.T) { driveEnterprise(t, ent) })
	if t.Failed() {
		return
	}
	driven := map[string]bool{}
	for _, rec := range readRecords(t, d.Record, ent.Record) {
		if r := match(rec.Method, rec.Path); r != nil {
			driven[r.key()] = true
		} else {
			t.Errorf("the drive called %s, which the routes table does not know", describe(rec))
		}
	}
	modules := moduleRecords(t)
	if len(modules) == 0 {
		t.Fatal("no recorded module request")
	}
	t.Run("every route the modules call is driven", func(t *testing.T) {
		missing := map[string]bool{}
		for _, rec := range modules {
			r := match(rec.Method, rec.Path)
			switch {
			case r == nil:
				missing[describe(rec)+" (not a route of the table)"] = true
			case !driven[r.key()]:
				missing[r.key()] = true
			}
		}
		for _, key := range sortedKeys(missing) {
			t.Errorf("modules call %s, not driven with api.Client here", key)
		}
	})
	t.Run("every module body decodes into the api type", func(t *testing.T) {
		seen := map[string]int{}
		for _, rec := range modules {
			r := match(rec.Method, rec.Path)
			if r == nil || len(rec.Body) == 0 || string(rec.Body) == "null" {
				continue
			}
			if r.Body == nil {
				if !strings.Contains(string(rec.Body), "_raw_bytes") {
					t.Errorf("%s sent a JSON body to a route that takes none: %s", describe(rec), clip(rec.Body))
				}
				continue
			}
			seen[r.key()]++
			if err := decodeStrict(rec.Body, r.Body()); err != nil {
				t.Errorf("%s: body does not decode into %T: %v\n%s", describe(rec), r.Body(), err, clip(rec.Body))
			}
		}
		t.Logf("decoded %d module bodies over %d routes: %v", sum(seen), len(seen), sortedKeys(seen))
	})
}

// decodeStrict decodes with DisallowUnknownFields, and also walks the JSON against the Go type so
// that fields unknown inside types with their own UnmarshalJSON (which decode through a second,
// lenient json.Unmarshal) are caught too.
func decodeStrict(body []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	var generic any
	if err := json.Unmarshal(body, &generic); err != nil {
		return err
	}
	if unknown := unknownFields(generic, typeOf(into), "$"); len(unknown) > 0 {
		return errors.New("unknown fields: " + strings.Join(unknown, ", "))
	}
	return nil
}

func clip(body []byte) string {
	if len(body) > 600 {
		return string(body[:600]) + "..."
	}
	return string(body)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
