// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// hcl1dump: test tool. Parses each file given on the command line with HashiCorp's HCL1 parser
// (github.com/hashicorp/hcl v1, the library Nomad's agent config loader is built on) and prints one
// JSON object per file: {"file": ..., "body": {...}} or {"file": ..., "error": "..."}.
// body = {"attrs": {name: value}, "blocks": [{"type": t, "labels": [...], "body": body}]}, where a
// value is a string (HCL1-unquoted), int, float, bool, list, or {"object": {key: value}} for
// `name = { ... }`. Built by mk/plugins.mk into .cache/hcl1/hcl1dump.
//
// hcl1dump -decode-agent FILE...: instead of the syntax tree, hcl.Decode each file into a small
// struct shaped like part of Nomad's agent Config (same hcl tags as listed in shared/nomad/
// agent-config.json: labeled host_volume/host_network/plugin blocks keyed by name, map[string]string
// meta/options/chroot_env) and print that as JSON. Upstream HCL v1.0.0 does not fill unusedKeys
// (only Nomad's fork does), so unknown keys are not reported by this tool. A stand-in for Nomad's decode of
// these keys, not Nomad's own structs.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/hashicorp/hcl"
	"github.com/hashicorp/hcl/hcl/ast"
	"github.com/hashicorp/hcl/hcl/parser"
)

type result struct {
	File  string      `json:"file"`
	Body  interface{} `json:"body,omitempty"`
	Error string      `json:"error,omitempty"`
}

func keyText(k *ast.ObjectKey) string {
	if s, ok := k.Token.Value().(string); ok {
		return s
	}
	return k.Token.Text
}

func value(n ast.Node) (interface{}, error) {
	switch v := n.(type) {
	case *ast.LiteralType:
		return v.Token.Value(), nil
	case *ast.ListType:
		out := []interface{}{}
		for _, item := range v.List {
			x, err := value(item)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	case *ast.ObjectType:
		obj := map[string]interface{}{}
		for _, item := range v.List.Items {
			if len(item.Keys) != 1 {
				return nil, fmt.Errorf("nested block inside an object value at %s", item.Pos())
			}
			x, err := value(item.Val)
			if err != nil {
				return nil, err
			}
			obj[keyText(item.Keys[0])] = x
		}
		return map[string]interface{}{"object": obj}, nil
	}
	return nil, fmt.Errorf("unsupported node %T", n)
}

func body(list *ast.ObjectList) (map[string]interface{}, error) {
	attrs := map[string]interface{}{}
	blocks := []interface{}{}
	for _, item := range list.Items {
		obj, isObj := item.Val.(*ast.ObjectType)
		if isObj && !item.Assign.IsValid() {
			labels := []string{}
			for _, k := range item.Keys[1:] {
				labels = append(labels, keyText(k))
			}
			inner, err := body(obj.List)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, map[string]interface{}{"type": keyText(item.Keys[0]), "labels": labels, "body": inner})
			continue
		}
		if len(item.Keys) != 1 {
			return nil, fmt.Errorf("attribute with %d keys at %s", len(item.Keys), item.Pos())
		}
		x, err := value(item.Val)
		if err != nil {
			return nil, err
		}
		attrs[keyText(item.Keys[0])] = x
	}
	return map[string]interface{}{"attrs": attrs, "blocks": blocks}, nil
}

type hostVolume struct {
	Name     string `hcl:",key"`
	Path     string `hcl:"path"`
	ReadOnly bool   `hcl:"read_only"`
}

type hostNetwork struct {
	Name          string `hcl:",key"`
	CIDR          string `hcl:"cidr"`
	Interface     string `hcl:"interface"`
	ReservedPorts string `hcl:"reserved_ports"`
}

type clientConfig struct {
	Enabled      bool              `hcl:"enabled"`
	Servers      []string          `hcl:"servers"`
	NodePool     string            `hcl:"node_pool"`
	Meta         map[string]string `hcl:"meta"`
	Options      map[string]string `hcl:"options"`
	ChrootEnv    map[string]string `hcl:"chroot_env"`
	GCDiskUsage  float64           `hcl:"gc_disk_usage_threshold"`
	HostVolumes  []*hostVolume     `hcl:"host_volume"`
	HostNetworks []*hostNetwork    `hcl:"host_network"`
	ExtraKeysHCL []string          `hcl:",unusedKeys"`
}

type pluginConfig struct {
	Name   string                 `hcl:",key"`
	Args   []string               `hcl:"args"`
	Config map[string]interface{} `hcl:"config"`
}

type agentConfig struct {
	DataDir      string          `hcl:"data_dir"`
	Region       string          `hcl:"region"`
	LogFile      string          `hcl:"log_file"`
	Client       *clientConfig   `hcl:"client"`
	Plugins      []*pluginConfig `hcl:"plugin"`
	ExtraKeysHCL []string        `hcl:",unusedKeys"`
}

func main() {
	enc := json.NewEncoder(os.Stdout)
	args := os.Args[1:]
	decode := len(args) > 0 && args[0] == "-decode-agent"
	if decode {
		args = args[1:]
	}
	for _, path := range args {
		res := result{File: path}
		data, err := os.ReadFile(path)
		if err == nil && decode {
			var cfg agentConfig
			err = hcl.Decode(&cfg, string(data))
			res.Body = cfg
		} else if err == nil {
			var file *ast.File
			file, err = parser.Parse(data)
			if err == nil {
				res.Body, err = body(file.Node.(*ast.ObjectList))
			}
		}
		if err != nil {
			res.Error = err.Error()
		}
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
