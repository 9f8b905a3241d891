package contract

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

// Fields Nomad's servers send in a node or an allocation that the api types do not declare (the HTTP
// handlers encode nomad/structs types; api.Client decodes them leniently). Anything else the double sends
// beyond the api type is a field Nomad does not have.
var structsOnly = map[string][]string{
	"node":  {"SecretID", "IdentitySigningKeyID", "LastMissedHeartbeatIndex", "LastAllocUpdateIndex", "ComputedClass"},
	"alloc": {"AllocStates"},
	"stub":  {"HostVolumes"}, // structs.NodeListStub has it, api.NodeListStub does not
}

// rpcCall posts one of the double's client RPC routes (/_double/rpc/<Method>: Nomad carries these as
// msgpack RPC on 4647, the double as JSON) and decodes the reply.
func rpcCall(t *testing.T, d *double, method string, args map[string]any, out any) int {
	t.Helper()
	body := ok(json.Marshal(args))(t, "marshal")
	resp := ok(http.Post(d.URL+"/_double/rpc/"+method, "application/json", bytes.NewReader(body)))(t, method)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 && out != nil {
		check(t, method+" reply", json.Unmarshal(data, out))
	}
	return resp.StatusCode
}

// extraFields are the JSON keys of a raw answer that the api type does not accept, minus the structs-only
// fields Nomad sends too.
func extraFields(t *testing.T, raw []byte, into any, allowed []string) []string {
	t.Helper()
	var generic any
	check(t, "decode", json.Unmarshal(raw, &generic))
	var out []string
	for _, f := range unknownFields(generic, typeOf(into), "$") {
		known := false
		for _, a := range allowed {
			if strings.HasSuffix(f, "."+a) {
				known = true
			}
		}
		if !known {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// TestNodeLifecycleShapes: a node registered and heartbeating through the double's RPC routes, drained,
// given allocations, down, purged, collected: every answer decodes with Nomad's api client into its api
// type, with no field Nomad's servers would not send.
func TestNodeLifecycleShapes(t *testing.T) {
	d := startDouble(t, "--acl", "--nodes", "0")
	cfg := api.DefaultConfig()
	cfg.Address = d.URL
	client := ok(api.NewClient(cfg))(t, "client")
	boot := ok2(client.ACLTokens().BootstrapOpts("", nil))(t, "bootstrap")
	client.SetSecretID(boot.SecretID)
	control(t, d, "server-config", map[string]any{"server": map[string]any{"heartbeat_stagger": false,
		"client_introduction": map[string]any{"enforcement": "strict"}}})
	ok(client.NodePools().Register(&api.NodePool{Name: "edge", NodeIdentityTTL: 505 * time.Hour}, nil))(t, "pool")
	intro := ok2(client.ACLIdentity().CreateClientIntroductionToken(
		&api.ACLIdentityClientIntroductionTokenRequest{NodePool: "edge", TTL: 10 * time.Minute}, nil))(t, "intro token")

	nodeID, secret := "0e7d9f3c-5d3e-4c0b-9a43-1f0e2a6b7c11", "7a1c2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	node := map[string]any{"ID": nodeID, "SecretID": secret, "Name": "edge-contract", "Datacenter": "dc1",
		"NodePool": "edge", "HTTPAddr": "10.9.0.1:4646",
		"Attributes": map[string]string{"nomad.version": "2.0.5", "kernel.name": "linux", "os.name": "debian",
			"unique.network.ip-address": "10.9.0.1"}}
	var reg struct {
		HeartbeatTTL   time.Duration
		SignedIdentity *string
		Servers        []map[string]any
	}
	if code := rpcCall(t, d, "Node.Register", map[string]any{"Node": node, "AuthToken": intro.JWT}, &reg); code != 200 ||
		reg.SignedIdentity == nil || reg.HeartbeatTTL != 10*time.Second || len(reg.Servers) == 0 {
		t.Fatalf("register: %d %+v", code, reg)
	}
	if code := rpcCall(t, d, "Node.UpdateStatus", map[string]any{"NodeID": nodeID, "Status": "ready",
		"AuthToken": *reg.SignedIdentity}, nil); code != 200 {
		t.Fatalf("heartbeat: %d", code)
	}

	// a job placed on the node, a drain with a deadline, the node down with its allocation lost
	job := ok(client.Jobs().ParseHCLOpts(&api.JobsParseRequest{Canonicalize: true, JobHCL: "job \"svc\" {\n" +
		"  node_pool = \"edge\"\n  group \"g\" {\n    task \"t\" {\n      driver = \"exec\"\n    }\n  }\n}\n"}))(t, "parse")
	regJob := ok2(client.Jobs().Register(job, nil))(t, "register job")
	for i := 0; i < 5; i++ {
		if ev := ok2(client.Evaluations().Info(regJob.EvalID, nil))(t, "eval"); ev.Status != "pending" {
			break
		}
	}
	allocs := ok2(client.Nodes().Allocations(nodeID, nil))(t, "node allocations")
	if len(allocs) != 1 || allocs[0].JobID != "svc" {
		t.Fatalf("the scheduler stand-in placed no allocation on the node: %+v", allocs)
	}
	stubs := ok2(client.Allocations().List(nil))(t, "alloc list")
	if len(stubs) != 1 || stubs[0].JobType != "service" {
		t.Fatalf("alloc list: %+v", stubs)
	}
	ok(client.Nodes().UpdateDrainOpts(nodeID, &api.DrainOptions{DrainSpec: &api.DrainSpec{Deadline: time.Hour},
		Meta: map[string]string{"message": "contract"}}, nil))(t, "drain")
	info := ok2(client.Nodes().Info(nodeID, nil))(t, "node info")
	if info.DrainStrategy == nil || info.DrainStrategy.ForceDeadline.Before(time.Now().Add(59*time.Minute)) ||
		info.StatusUpdatedAt == 0 || len(info.Events) < 2 || info.Events[0].Message != "Node registered" ||
		info.Events[0].Timestamp.IsZero() || info.Status != "ready" {
		t.Fatalf("node info after a drain: %+v %+v", info, info.DrainStrategy)
	}
	control(t, d, "node-agent", map[string]any{"name": nodeID, "heartbeating": false})
	control(t, d, "clock", map[string]any{"advance": "25s"})
	info = ok2(client.Nodes().Info(nodeID, nil))(t, "node info")
	missed := false
	for _, ev := range info.Events {
		missed = missed || ev.Message == "Node heartbeat missed"
	}
	if info.Status != "down" || !missed {
		t.Fatalf("node info after its heartbeat timer expired: %+v", info)
	}
	alloc := ok2(client.Allocations().Info(allocs[0].ID, nil))(t, "alloc info")
	if alloc.ClientStatus != "lost" && alloc.ClientStatus != "complete" {
		t.Fatalf("an allocation of a down node: %+v", alloc)
	}

	// raw answers: no field beyond the api type but those Nomad's structs types carry
	for _, c := range []struct {
		path    string
		into    any
		allowed []string
	}{
		{"/v1/node/" + nodeID, new(api.Node), structsOnly["node"]},
		{"/v1/nodes", new([]*api.NodeListStub), structsOnly["stub"]},
		{"/v1/node/" + nodeID + "/allocations", new([]*api.Allocation), structsOnly["alloc"]},
		{"/v1/allocation/" + allocs[0].ID, new(api.Allocation), structsOnly["alloc"]},
		{"/v1/allocations", new([]*api.AllocationListStub), nil},
	} {
		code, body := statusOf(t, d, boot.SecretID, "GET", c.path)
		if code != 200 {
			t.Fatalf("GET %s: %d %s", c.path, code, body)
		}
		if extra := extraFields(t, []byte(body), c.into, c.allowed); len(extra) > 0 {
			t.Errorf("GET %s sends fields Nomad does not: %v", c.path, extra)
		}
		check(t, "decode "+c.path, json.Unmarshal([]byte(body), c.into))
	}

	// purge (Node.Deregister) and a forced GC (System.GarbageCollect)
	purged := ok2(client.Nodes().Purge(nodeID, nil))(t, "purge")
	if purged.NodeModifyIndex == 0 {
		t.Fatalf("purge reply: %+v", purged)
	}
	if _, _, err := client.Nodes().Info(nodeID, nil); err == nil || !strings.Contains(err.Error(), "node not found") {
		t.Fatalf("a purged node is gone: %v", err)
	}
	check(t, "system gc", client.System().GarbageCollect())
}
