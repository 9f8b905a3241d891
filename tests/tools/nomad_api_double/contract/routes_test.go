package contract

import (
	"regexp"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// route is one Nomad HTTP route (method + path template) and, for writes, the api type its body
// decodes into (command/agent/*_endpoint.go decode the same shapes into structs types).
type route struct {
	Method string
	Path   string // template: ":x" is one path segment, "*x" the rest of the path
	Body   func() any
	re     *regexp.Regexp
}

var routes = []*route{
	{Method: "GET", Path: "/v1/status/leader"},
	{Method: "GET", Path: "/v1/status/peers"},
	{Method: "GET", Path: "/v1/agent/health"},
	{Method: "GET", Path: "/v1/agent/self"},
	{Method: "PUT", Path: "/v1/acl/bootstrap", Body: func() any { return new(api.BootstrapRequest) }},
	{Method: "POST", Path: "/v1/acl/bootstrap", Body: func() any { return new(api.BootstrapRequest) }},
	{Method: "GET", Path: "/v1/acl/policies"},
	{Method: "GET", Path: "/v1/acl/policy/:name"},
	{Method: "PUT", Path: "/v1/acl/policy/:name", Body: func() any { return new(api.ACLPolicy) }},
	{Method: "POST", Path: "/v1/acl/policy/:name", Body: func() any { return new(api.ACLPolicy) }},
	{Method: "DELETE", Path: "/v1/acl/policy/:name"},
	{Method: "GET", Path: "/v1/acl/tokens"},
	{Method: "GET", Path: "/v1/acl/token/self"},
	{Method: "PUT", Path: "/v1/acl/token", Body: func() any { return new(api.ACLToken) }},
	{Method: "POST", Path: "/v1/acl/token", Body: func() any { return new(api.ACLToken) }},
	{Method: "GET", Path: "/v1/acl/token/:accessor"},
	{Method: "PUT", Path: "/v1/acl/token/:accessor", Body: func() any { return new(api.ACLToken) }},
	{Method: "POST", Path: "/v1/acl/token/:accessor", Body: func() any { return new(api.ACLToken) }},
	{Method: "DELETE", Path: "/v1/acl/token/:accessor"},
	{Method: "GET", Path: "/v1/acl/roles"},
	{Method: "PUT", Path: "/v1/acl/role", Body: func() any { return new(api.ACLRole) }},
	{Method: "POST", Path: "/v1/acl/role", Body: func() any { return new(api.ACLRole) }},
	{Method: "GET", Path: "/v1/acl/role/name/:name"},
	{Method: "GET", Path: "/v1/acl/role/:id"},
	{Method: "PUT", Path: "/v1/acl/role/:id", Body: func() any { return new(api.ACLRole) }},
	{Method: "POST", Path: "/v1/acl/role/:id", Body: func() any { return new(api.ACLRole) }},
	{Method: "DELETE", Path: "/v1/acl/role/:id"},
	{Method: "GET", Path: "/v1/acl/auth-methods"},
	{Method: "PUT", Path: "/v1/acl/auth-method", Body: func() any { return new(api.ACLAuthMethod) }},
	{Method: "POST", Path: "/v1/acl/auth-method", Body: func() any { return new(api.ACLAuthMethod) }},
	{Method: "GET", Path: "/v1/acl/auth-method/:name"},
	{Method: "PUT", Path: "/v1/acl/auth-method/:name", Body: func() any { return new(api.ACLAuthMethod) }},
	{Method: "POST", Path: "/v1/acl/auth-method/:name", Body: func() any { return new(api.ACLAuthMethod) }},
	{Method: "DELETE", Path: "/v1/acl/auth-method/:name"},
	{Method: "GET", Path: "/v1/acl/binding-rules"},
	{Method: "PUT", Path: "/v1/acl/binding-rule", Body: func() any { return new(api.ACLBindingRule) }},
	{Method: "POST", Path: "/v1/acl/binding-rule", Body: func() any { return new(api.ACLBindingRule) }},
	{Method: "GET", Path: "/v1/acl/binding-rule/:id"},
	{Method: "PUT", Path: "/v1/acl/binding-rule/:id", Body: func() any { return new(api.ACLBindingRule) }},
	{Method: "POST", Path: "/v1/acl/binding-rule/:id", Body: func() any { return new(api.ACLBindingRule) }},
	{Method: "DELETE", Path: "/v1/acl/binding-rule/:id"},
	{Method: "PUT", Path: "/v1/acl/identity/client-introduction-token",
		Body: func() any { return new(api.ACLIdentityClientIntroductionTokenRequest) }},
	{Method: "POST", Path: "/v1/acl/identity/client-introduction-token",
		Body: func() any { return new(api.ACLIdentityClientIntroductionTokenRequest) }},
	{Method: "GET", Path: "/v1/namespaces"},
	{Method: "PUT", Path: "/v1/namespace", Body: func() any { return new(api.Namespace) }},
	{Method: "POST", Path: "/v1/namespace", Body: func() any { return new(api.Namespace) }},
	{Method: "GET", Path: "/v1/namespace/:name"},
	{Method: "PUT", Path: "/v1/namespace/:name", Body: func() any { return new(api.Namespace) }},
	{Method: "POST", Path: "/v1/namespace/:name", Body: func() any { return new(api.Namespace) }},
	{Method: "DELETE", Path: "/v1/namespace/:name"},
	{Method: "GET", Path: "/v1/node/pools"},
	{Method: "PUT", Path: "/v1/node/pools", Body: func() any { return new(api.NodePool) }},
	{Method: "POST", Path: "/v1/node/pools", Body: func() any { return new(api.NodePool) }},
	{Method: "GET", Path: "/v1/node/pool/:name"},
	{Method: "PUT", Path: "/v1/node/pool/:name", Body: func() any { return new(api.NodePool) }},
	{Method: "POST", Path: "/v1/node/pool/:name", Body: func() any { return new(api.NodePool) }},
	{Method: "DELETE", Path: "/v1/node/pool/:name"},
	{Method: "GET", Path: "/v1/nodes"},
	{Method: "GET", Path: "/v1/node/:id"},
	{Method: "GET", Path: "/v1/node/:id/allocations"},
	{Method: "PUT", Path: "/v1/node/:id/purge"},
	{Method: "POST", Path: "/v1/node/:id/purge"},
	{Method: "PUT", Path: "/v1/system/gc"},
	{Method: "GET", Path: "/v1/allocations"},
	{Method: "GET", Path: "/v1/allocation/:id"},
	{Method: "PUT", Path: "/v1/node/:id/drain", Body: func() any { return new(api.NodeUpdateDrainRequest) }},
	{Method: "POST", Path: "/v1/node/:id/drain", Body: func() any { return new(api.NodeUpdateDrainRequest) }},
	{Method: "PUT", Path: "/v1/node/:id/eligibility", Body: func() any { return new(api.NodeUpdateEligibilityRequest) }},
	{Method: "POST", Path: "/v1/node/:id/eligibility", Body: func() any { return new(api.NodeUpdateEligibilityRequest) }},
	{Method: "PUT", Path: "/v1/jobs/parse", Body: func() any { return new(api.JobsParseRequest) }},
	{Method: "POST", Path: "/v1/jobs/parse", Body: func() any { return new(api.JobsParseRequest) }},
	{Method: "GET", Path: "/v1/jobs"},
	{Method: "PUT", Path: "/v1/jobs", Body: func() any { return new(api.JobRegisterRequest) }},
	{Method: "POST", Path: "/v1/jobs", Body: func() any { return new(api.JobRegisterRequest) }},
	{Method: "PUT", Path: "/v1/job/:id/plan", Body: func() any { return new(api.JobPlanRequest) }},
	{Method: "POST", Path: "/v1/job/:id/plan", Body: func() any { return new(api.JobPlanRequest) }},
	{Method: "GET", Path: "/v1/job/:id/deployment"},
	{Method: "GET", Path: "/v1/job/:id/versions"},
	{Method: "PUT", Path: "/v1/job/:id/revert", Body: func() any { return new(api.JobRevertRequest) }},
	{Method: "POST", Path: "/v1/job/:id/revert", Body: func() any { return new(api.JobRevertRequest) }},
	{Method: "GET", Path: "/v1/allocations"},
	{Method: "GET", Path: "/v1/deployments"},
	{Method: "GET", Path: "/v1/job/:id"},
	{Method: "PUT", Path: "/v1/job/:id", Body: func() any { return new(api.JobRegisterRequest) }},
	{Method: "POST", Path: "/v1/job/:id", Body: func() any { return new(api.JobRegisterRequest) }},
	{Method: "DELETE", Path: "/v1/job/:id"},
	{Method: "GET", Path: "/v1/evaluation/:id"},
	{Method: "GET", Path: "/v1/vars"},
	{Method: "GET", Path: "/v1/var/*path"},
	{Method: "PUT", Path: "/v1/var/*path", Body: func() any { return new(api.Variable) }},
	{Method: "POST", Path: "/v1/var/*path", Body: func() any { return new(api.Variable) }},
	{Method: "DELETE", Path: "/v1/var/*path"},
	{Method: "GET", Path: "/v1/operator/autopilot/configuration"},
	{Method: "PUT", Path: "/v1/operator/autopilot/configuration", Body: func() any { return new(api.AutopilotConfiguration) }},
	{Method: "GET", Path: "/v1/operator/autopilot/health"},
	{Method: "GET", Path: "/v1/operator/raft/configuration"},
	{Method: "DELETE", Path: "/v1/operator/raft/peer"},
	{Method: "GET", Path: "/v1/regions"},
	{Method: "PUT", Path: "/v1/agent/join"},
	{Method: "POST", Path: "/v1/agent/join"},
	{Method: "GET", Path: "/v1/operator/license"},
	{Method: "GET", Path: "/v1/operator/snapshot"},
	{Method: "PUT", Path: "/v1/operator/snapshot"}, // a gzip'd tar archive, not JSON
	{Method: "POST", Path: "/v1/operator/snapshot"},
	// scheduler configuration (command/agent/operator_endpoint.go OperatorSchedulerConfiguration)
	{Method: "GET", Path: "/v1/operator/scheduler/configuration"},
	{Method: "PUT", Path: "/v1/operator/scheduler/configuration", Body: func() any { return new(api.SchedulerConfiguration) }},
	{Method: "POST", Path: "/v1/operator/scheduler/configuration", Body: func() any { return new(api.SchedulerConfiguration) }},
	// volume lists (volumes_endpoint.go ListVolumesRequest: ?type=host|csi), dynamic host volumes
	// (host_volume_endpoint.go HostVolumeSpecificRequest), CSI volumes and plugins (csi_endpoint.go)
	{Method: "GET", Path: "/v1/volumes"},
	{Method: "PUT", Path: "/v1/volume/host/create", Body: func() any { return new(api.HostVolumeCreateRequest) }},
	{Method: "POST", Path: "/v1/volume/host/create", Body: func() any { return new(api.HostVolumeCreateRequest) }},
	{Method: "PUT", Path: "/v1/volume/host/register", Body: func() any { return new(api.HostVolumeRegisterRequest) }},
	{Method: "POST", Path: "/v1/volume/host/register", Body: func() any { return new(api.HostVolumeRegisterRequest) }},
	{Method: "GET", Path: "/v1/volume/host/:id"},
	{Method: "DELETE", Path: "/v1/volume/host/:id"},
	{Method: "PUT", Path: "/v1/volume/csi/:id/create", Body: func() any { return new(api.CSIVolumeCreateRequest) }},
	{Method: "DELETE", Path: "/v1/volume/csi/:id/delete"},
	{Method: "GET", Path: "/v1/volume/csi/:id"},
	{Method: "PUT", Path: "/v1/volume/csi/:id", Body: func() any { return new(api.CSIVolumeRegisterRequest) }},
	{Method: "DELETE", Path: "/v1/volume/csi/:id"},
	{Method: "GET", Path: "/v1/plugins"},
	{Method: "GET", Path: "/v1/plugin/csi/:id"},
	// service registrations (service_registration_endpoint.go) and allocation checks (alloc_endpoint.go allocChecks)
	{Method: "GET", Path: "/v1/services"},
	{Method: "GET", Path: "/v1/service/:name"},
	{Method: "GET", Path: "/v1/client/allocation/:id/checks"},
	// Enterprise (api/quota.go, api/sentinel.go); the community edition answers them 501 (http_ce.go)
	{Method: "GET", Path: "/v1/quotas"},
	{Method: "PUT", Path: "/v1/quota", Body: func() any { return new(api.QuotaSpec) }},
	{Method: "GET", Path: "/v1/quota/:name"},
	{Method: "DELETE", Path: "/v1/quota/:name"},
	{Method: "GET", Path: "/v1/sentinel/policies"},
	{Method: "GET", Path: "/v1/sentinel/policy/:name"},
	{Method: "PUT", Path: "/v1/sentinel/policy/:name", Body: func() any { return new(api.SentinelPolicy) }},
	{Method: "DELETE", Path: "/v1/sentinel/policy/:name"},
}

func init() {
	for _, r := range routes {
		parts := strings.Split(r.Path, "/")
		for i, p := range parts {
			switch {
			case strings.HasPrefix(p, ":"):
				parts[i] = "[^/]+"
			case strings.HasPrefix(p, "*"):
				parts[i] = ".+"
			default:
				parts[i] = regexp.QuoteMeta(p)
			}
		}
		r.re = regexp.MustCompile("^" + strings.Join(parts, "/") + "$")
	}
}

// match finds the route of a request: the first template that matches, in table order (more
// specific templates such as /v1/acl/token/self come before /v1/acl/token/:accessor).
func match(method, path string) *route {
	for _, r := range routes {
		if r.Method == method && r.re.MatchString(path) {
			return r
		}
	}
	return nil
}

// key names a route for coverage; Nomad's write handlers take PUT and POST alike.
func (r *route) key() string {
	if r.Method == "POST" {
		return "PUT/POST " + r.Path
	}
	if r.Method == "PUT" && match("POST", strings.ReplaceAll(strings.ReplaceAll(r.Path, ":", "x"), "*", "x")) != nil {
		return "PUT/POST " + r.Path
	}
	return r.Method + " " + r.Path
}
