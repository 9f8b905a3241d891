package contract

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

// seed posts a value as JSON to one of the double's test-only /_double/<what> endpoints (control, events_test.go).
func seed(t *testing.T, d *double, what string, body any) {
	t.Helper()
	control(t, d, what, string(ok(json.Marshal(body))(t, "seed body")))
}

func wantErr(t *testing.T, what string, err error, text string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), text) {
		t.Fatalf("%s: want an error with %q, got %v", what, text, err)
	}
}

// driveSchedulerAndVolumes drives the scheduler configuration, dynamic host volumes, CSI volumes and plugins
// and service registrations with api.Client (a management token) against the community-edition double.
func driveSchedulerAndVolumes(t *testing.T, d *double, client *api.Client) {
	// scheduler configuration: CAS with the current index applies; the same (now stale) index answers
	// Updated=false with 200 (nomad/state/state_store.go SchedulerCASConfig), the plain set always applies
	op := client.Operator()
	got := ok2(op.SchedulerGetConfiguration(nil))(t, "scheduler get")
	conf := got.SchedulerConfig
	if conf == nil || conf.SchedulerAlgorithm != api.SchedulerAlgorithmBinpack || !conf.PreemptionConfig.SystemSchedulerEnabled {
		t.Fatalf("seeded scheduler configuration (nomad/config.go DefaultSchedulerConfig): %+v", conf)
	}
	conf.SchedulerAlgorithm = api.SchedulerAlgorithmSpread
	if res := ok2(op.SchedulerCASConfiguration(conf, nil))(t, "scheduler cas"); !res.Updated {
		t.Fatal("scheduler CAS at the current index must apply")
	}
	if res := ok2(op.SchedulerCASConfiguration(conf, nil))(t, "scheduler stale cas"); res.Updated {
		t.Fatal("scheduler CAS at a stale index must answer Updated=false")
	}
	conf.SchedulerAlgorithm = "random"
	_, _, err := op.SchedulerSetConfiguration(conf, nil)
	wantErr(t, "scheduler algorithm (structs.SchedulerConfiguration.Validate)", err, "invalid scheduler algorithm: random")
	conf.SchedulerAlgorithm = api.SchedulerAlgorithmBinpack
	if res := ok2(op.SchedulerSetConfiguration(conf, nil))(t, "scheduler set"); !res.Updated {
		t.Fatal("scheduler set without cas must apply")
	}

	// dynamic host volumes: create (placed in edge-arm by the mkdir plugin), read until ready, list, register,
	// delete; an empty plugin is "default", which no node has (HostVolume.CanonicalizeForCreate)
	hv := client.HostVolumes()
	created := ok2(hv.Create(&api.HostVolumeCreateRequest{Volume: &api.HostVolume{
		Name: "scratch", PluginID: "mkdir", NodePool: "edge-arm",
		RequestedCapacityMinBytes: 1 << 30, RequestedCapacityMaxBytes: 2 << 30,
		Constraints: []*api.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
		RequestedCapabilities: []*api.HostVolumeCapability{{AttachmentMode: api.HostVolumeAttachmentModeFilesystem,
			AccessMode: api.HostVolumeAccessModeSingleNodeWriter}},
		Parameters: map[string]string{"mode": "0750"}}}, nil))(t, "host volume create")
	vol := created.Volume
	if vol == nil || vol.ID == "" || vol.NodeID == "" || vol.State != api.HostVolumeStatePending {
		t.Fatalf("host volume create answer: %+v", vol)
	}
	var read *api.HostVolume
	for i := 0; i < 5 && (read == nil || read.State != api.HostVolumeStateReady); i++ {
		read = ok2(hv.Get(vol.ID, &api.QueryOptions{WaitIndex: 1, WaitTime: time.Second}))(t, "host volume get")
	}
	if read.State != api.HostVolumeStateReady || read.HostPath == "" {
		t.Fatalf("host volume never ready: %+v", read)
	}
	update := *read
	update.Parameters = map[string]string{"mode": "0700"}
	ok2(hv.Create(&api.HostVolumeCreateRequest{Volume: &update}, nil))(t, "host volume update")
	stubs := ok2(hv.List(&api.HostVolumeListRequest{NodePool: "edge-arm"}, nil))(t, "host volume list")
	if len(stubs) != 1 || stubs[0].ID != vol.ID {
		t.Fatalf("host volume list: %+v", stubs)
	}
	_, _, err = hv.Create(&api.HostVolumeCreateRequest{Volume: &api.HostVolume{Name: "x", NodePool: "edge-arm"}}, nil)
	wantErr(t, "host volume without a plugin", err, `could not place volume "x": no node meets constraints`)
	registered := ok2(hv.Register(&api.HostVolumeRegisterRequest{Volume: &api.HostVolume{
		Name: "camera", NodeID: vol.NodeID, HostPath: "/srv/camera", CapacityBytes: 1000}}, nil))(t, "host volume register")
	_, _, err = hv.Register(&api.HostVolumeRegisterRequest{Volume: &api.HostVolume{Name: "y", HostPath: "/srv"}}, nil)
	wantErr(t, "host volume register without a node", err, "cannot register volume: node ID is required")
	ok2(hv.Delete(&api.HostVolumeDeleteRequest{ID: registered.Volume.ID}, nil))(t, "host volume delete registered")
	ok2(hv.Delete(&api.HostVolumeDeleteRequest{ID: vol.ID}, nil))(t, "host volume delete")
	_, _, err = hv.Delete(&api.HostVolumeDeleteRequest{ID: vol.ID}, nil)
	wantErr(t, "host volume delete again", err, "no such volume: "+vol.ID)

	// CSI: a seeded plugin; register (secrets never answered, mount flags redacted), create in the provider,
	// deregister, delete in the provider with the secrets header (DeleteOpts' ExternalVolumeID is Nomad's ID)
	seed(t, d, "csi-plugin", map[string]any{"ID": "ebs", "Provider": "ebs.csi.aws.com"})
	plugins := ok2(client.CSIPlugins().List(nil))(t, "csi plugins")
	if len(plugins) != 1 || plugins[0].ID != "ebs" || !plugins[0].ControllerRequired {
		t.Fatalf("csi plugins: %+v", plugins)
	}
	ok2(client.CSIPlugins().Info("ebs", nil))(t, "csi plugin info")
	caps := []*api.CSIVolumeCapability{{AccessMode: api.CSIVolumeAccessModeSingleNodeWriter,
		AttachmentMode: api.CSIVolumeAttachmentModeFilesystem}}
	csi := client.CSIVolumes()
	ok2(csi.RegisterOpts(&api.CSIVolumeRegisterRequest{Volumes: []*api.CSIVolume{{ID: "db", Name: "db", PluginID: "ebs",
		ExternalID: "vol-1", RequestedCapabilities: caps, Secrets: api.CSISecrets{"k": "s3cr3t"},
		MountOptions: &api.CSIMountOptions{FSType: "ext4", MountFlags: []string{"noatime"}}}}}, nil))(t, "csi register")
	info := ok2(csi.Info("db", nil))(t, "csi info")
	if len(info.Secrets) != 0 || info.MountOptions == nil || len(info.MountOptions.MountFlags) != 1 ||
		info.MountOptions.MountFlags[0] != "[REDACTED]" || info.Provider != "ebs.csi.aws.com" {
		t.Fatalf("csi volume must be sanitized (structs.CSIVolume.Sanitize): %+v %+v", info.Secrets, info.MountOptions)
	}
	_, _, err = csi.RegisterOpts(&api.CSIVolumeRegisterRequest{Volumes: []*api.CSIVolume{{ID: "db", Name: "db2",
		PluginID: "ebs", ExternalID: "vol-1", RequestedCapabilities: caps}}}, nil)
	wantErr(t, "csi rename (structs.CSIVolume.Merge)", err, "volume name cannot be updated")
	made := ok2(csi.CreateOpts(&api.CSIVolumeCreateRequest{Volumes: []*api.CSIVolume{{ID: "media", Name: "media",
		PluginID: "ebs", RequestedCapabilities: caps, RequestedCapacityMin: 1 << 30}}}, nil))(t, "csi create")
	if len(made.Volumes) != 1 || made.Volumes[0].ExternalID == "" {
		t.Fatalf("csi create answer: %+v", made.Volumes)
	}
	listed := ok2(csi.List(nil))(t, "csi list")
	if len(listed) != 2 {
		t.Fatalf("csi list: %+v", listed)
	}
	check(t, "csi deregister", csi.Deregister("db", false, nil))
	wantErr(t, "csi deregister again (state_store.go CSIVolumeDeregister)", csi.Deregister("db", false, nil),
		"volume not found: db")
	check(t, "csi delete", csi.DeleteOpts(&api.CSIVolumeDeleteRequest{ExternalVolumeID: "media",
		Secrets: api.CSISecrets{"token": "a=b"}}, nil))

	// services and their allocations' checks (seeded: the double runs no allocations)
	alloc := "8f2c4a1e-0d3b-4e5f-9a8b-7c6d5e4f3a2b"
	seed(t, d, "service-registration", map[string]any{"ServiceName": "web", "AllocID": alloc, "Port": 8080,
		"Tags": []string{"http"}})
	seed(t, d, "alloc-checks", map[string]any{"AllocID": alloc, "Checks": map[string]any{"c1": map[string]any{
		"ID": "c1", "Check": "alive", "Service": "web", "Status": "success", "StatusCode": 200}}})
	services := ok2(client.Services().List(nil))(t, "services")
	if len(services) != 1 || services[0].Services[0].ServiceName != "web" {
		t.Fatalf("services: %+v", services)
	}
	regs := ok2(client.Services().Get("web", nil))(t, "service get")
	if len(regs) != 1 || regs[0].AllocID != alloc || regs[0].Port != 8080 {
		t.Fatalf("service registrations: %+v", regs)
	}
	checks := ok(client.Allocations().Checks(alloc, nil))(t, "alloc checks")
	if checks["c1"].Status != "success" {
		t.Fatalf("alloc checks: %+v", checks)
	}

	// the community edition: every Enterprise-only path is 501 (command/agent/http_ce.go)
	_, _, err = client.Quotas().List(nil)
	wantErr(t, "quotas on CE", err, "Nomad Enterprise only endpoint")
	_, _, err = client.SentinelPolicies().Info("p", nil)
	wantErr(t, "sentinel on CE", err, "Nomad Enterprise only endpoint")
}

// driveEnterprise drives the Enterprise-only routes with api.Client against the double playing Nomad Enterprise.
func driveEnterprise(t *testing.T, d *double) {
	cfg := api.DefaultConfig()
	cfg.Address = d.URL
	client := ok(api.NewClient(cfg))(t, "client")
	boot := ok2(client.ACLTokens().BootstrapOpts("", nil))(t, "bootstrap")
	client.SetSecretID(boot.SecretID)

	lic := ok2(client.Operator().LicenseGet(nil))(t, "license")
	if lic.License == nil || lic.License.Product != "nomad" {
		t.Fatalf("Enterprise license answer (api/operator.go LicenseReply): %+v", lic)
	}
	ok(client.NodePools().Register(&api.NodePool{Name: "gov",
		SchedulerConfiguration: &api.NodePoolSchedulerConfiguration{SchedulerAlgorithm: "spread"}}, nil))(t,
		"node pool governance on Enterprise")

	quotas := client.Quotas()
	ok(quotas.Register(&api.QuotaSpec{Name: "edge", Description: "edge tenants", Limits: []*api.QuotaLimit{{
		Region: "global", RegionLimit: &api.QuotaResources{CPU: ptr(2000), MemoryMB: ptr(4096),
			Storage:   &api.QuotaStorageResources{VariablesMB: 10},
			NodePools: []*api.NodePoolLimit{{NodePool: "edge-arm", CPU: ptr(1000)}}}}}}, nil))(t, "quota register")
	spec := ok2(quotas.Info("edge", nil))(t, "quota info")
	if len(spec.Limits) != 1 || *spec.Limits[0].RegionLimit.CPU != 2000 || len(spec.Limits[0].Hash) == 0 {
		t.Fatalf("quota info: %+v", spec)
	}
	if specs := ok2(quotas.List(nil))(t, "quota list"); len(specs) != 1 {
		t.Fatalf("quota list: %+v", specs)
	}
	ok(quotas.Delete("edge", nil))(t, "quota delete")
	if _, _, err := quotas.Info("edge", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("a deleted quota is 404: %v", err)
	}

	sentinel := client.SentinelPolicies()
	ok(sentinel.Upsert(&api.SentinelPolicy{Name: "p", Description: "all", Scope: api.SentinelScopeSubmitJob,
		EnforcementLevel: "advisory", Policy: "main = rule { true }"}, nil))(t, "sentinel upsert")
	policy := ok2(sentinel.Info("p", nil))(t, "sentinel info")
	if policy.Scope != "submit-job" || policy.Policy != "main = rule { true }" {
		t.Fatalf("sentinel info: %+v", policy)
	}
	if stubs := ok2(sentinel.List(nil))(t, "sentinel list"); len(stubs) != 1 {
		t.Fatalf("sentinel list: %+v", stubs)
	}
	ok(sentinel.Delete("p", nil))(t, "sentinel delete")
}
