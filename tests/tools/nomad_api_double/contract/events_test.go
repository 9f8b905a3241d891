package contract

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

// control posts a JSON body (a JSON string, or a value to marshal) to one of the double's test-only /_double/
// endpoints.
func control(t *testing.T, d *double, what string, body any) {
	t.Helper()
	text, isText := body.(string)
	if !isText {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("/_double/%s: marshal: %v", what, err)
		}
		text = string(data)
	}
	resp, err := http.Post(d.URL+"/_double/"+what, "application/json", strings.NewReader(text))
	if err != nil {
		t.Fatalf("/_double/%s: %v", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		data, _ := io.ReadAll(resp.Body)
		t.Fatalf("/_double/%s: %d %s", what, resp.StatusCode, data)
	}
}

// next returns the next events of the stream (api's decoder has already skipped the heartbeats).
func next(t *testing.T, stream <-chan *api.Events) *api.Events {
	t.Helper()
	select {
	case events, open := <-stream:
		if !open {
			t.Fatal("the stream closed")
		}
		return events
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return nil
}

// TestEventStream reads the double's GET /v1/event/stream with Nomad's own client, api.EventStream
// (api/event_stream.go): a node going down and coming back arrives as Node events in Index order, the
// heartbeats are invisible (IsHeartbeat: Index 0 and no events), the typed accessor decodes the node, and
// a subscription the token may not make is Nomad 2.0.5's refusal: Stream() returns no error, then the
// channel's first item carries io.EOF (the 403 of Event.stream cannot reach a hijacked connection).
func TestEventStream(t *testing.T) {
	d := startDouble(t, "--acl", "--nodes", "4")
	cfg := api.DefaultConfig()
	cfg.Address = d.URL
	client := ok(api.NewClient(cfg))(t, "client")
	boot := ok2(client.ACLTokens().BootstrapOpts("", nil))(t, "bootstrap")
	client.SetSecretID(boot.SecretID)
	control(t, d, "event-stream", `{"heartbeat": 0.1}`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream := ok(client.EventStream().Stream(ctx, map[api.Topic][]string{api.TopicNode: {"*"}}, 0, nil))(t, "stream")
	time.Sleep(300 * time.Millisecond) // a few heartbeats go by: none may surface
	control(t, d, "node-status", `{"name": "edge-00001", "status": "down"}`)
	control(t, d, "node-status", `{"name": "edge-00001", "status": "ready"}`)
	var statuses []string
	var last uint64
	for len(statuses) < 2 {
		events := next(t, stream)
		if events.Err != nil {
			t.Fatalf("stream error: %v", events.Err)
		}
		if events.IsHeartbeat() || events.Index <= last {
			t.Fatalf("a heartbeat or an out-of-order frame reached the client: %+v (after %d)", events, last)
		}
		last = events.Index
		for _, event := range events.Events {
			if event.Topic != api.TopicNode || event.Type != "NodeStreamEvent" || event.Index != events.Index {
				t.Fatalf("event: %+v", event)
			}
			node := ok(event.Node())(t, "Event.Node")
			if node.Name != "edge-00001" || node.NodePool == "" || node.Datacenter == "" {
				t.Fatalf("decoded node: %+v", node)
			}
			statuses = append(statuses, node.Status)
		}
	}
	if strings.Join(statuses, ",") != "down,ready" {
		t.Fatalf("statuses: %v", statuses)
	}

	policy := &api.ACLPolicy{Name: "nodes", Rules: "node {\n  policy = \"read\"\n}\n"}
	ok(client.ACLPolicies().Upsert(policy, nil))(t, "policy")
	reader := ok2(client.ACLTokens().Create(&api.ACLToken{Name: "reader", Type: "client", Policies: []string{"nodes"}},
		nil))(t, "token")
	readerCfg := api.DefaultConfig()
	readerCfg.Address = d.URL
	readerCfg.SecretID = reader.SecretID
	readerClient := ok(api.NewClient(readerCfg))(t, "reader client")
	refused, err := readerClient.EventStream().Stream(ctx, map[api.Topic][]string{api.TopicAllocation: {"*"}}, 0, nil)
	if err != nil {
		t.Fatalf("Nomad 2.0.5 answers a refused subscription with 200: Stream() must not fail, got %v", err)
	}
	if first := next(t, refused); !errors.Is(first.Err, io.EOF) {
		t.Fatalf("a refused subscription ends at once (io.EOF), got %+v", first)
	}
	allowed := ok(readerClient.EventStream().Stream(ctx, map[api.Topic][]string{api.TopicNode: {"*"}}, 0, nil))(t,
		"node:read may stream nodes")
	control(t, d, "node-status", `{"name": "edge-00002", "status": "down"}`)
	for {
		events := next(t, allowed)
		if events.Err != nil {
			t.Fatalf("node:read stream: %v", events.Err)
		}
		if len(events.Events) > 0 && events.Events[0].Key != "" && strings.HasSuffix(events.Events[0].Key, "2") {
			break
		}
	}
}
