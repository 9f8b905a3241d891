package contract

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

var (
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
)

func typeOf(v any) reflect.Type { return reflect.TypeOf(v) }

// structFields maps lower-cased JSON names to field types, as encoding/json sees them: the json
// tag name or the Go field name, embedded structs flattened, "-" and unexported fields skipped.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name := strings.Split(tag, ",")[0]
		if tag == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range structFields(ft) {
					if _, taken := out[k]; !taken {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[strings.ToLower(name)] = f.Type
	}
	return out
}

// unknownFields lists the JSON object keys (as $.path.key) that no field of t accepts; Go's
// decoder matches names case-insensitively, so does this.
func unknownFields(value any, t reflect.Type, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType || t == timeType {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := value.(map[string]any)
		if !ok {
			return nil // a type error is the decoder's to report
		}
		fields := structFields(t)
		var out []string
		for key, v := range obj {
			ft, known := fields[strings.ToLower(key)]
			if !known {
				out = append(out, path+"."+key)
				continue
			}
			out = append(out, unknownFields(v, ft, path+"."+key)...)
		}
		return out
	case reflect.Map:
		obj, ok := value.(map[string]any)
		if !ok {
			return nil
		}
		var out []string
		for key, v := range obj {
			out = append(out, unknownFields(v, t.Elem(), path+"["+key+"]")...)
		}
		return out
	case reflect.Slice, reflect.Array:
		list, ok := value.([]any)
		if !ok {
			return nil
		}
		var out []string
		for i, v := range list {
			out = append(out, unknownFields(v, t.Elem(), path+"["+itoa(i)+"]")...)
		}
		return out
	}
	return nil
}

func itoa(i int) string {
	return strconv.Itoa(i)
}

// TestDecodeStrict: the checker refuses unknown fields at any depth, also inside api types that
// decode through their own UnmarshalJSON (api.ACLToken, api.NodePool), and type mismatches.
func TestDecodeStrict(t *testing.T) {
	cases := []struct {
		name string
		into func() any
		body string
		ok   bool
	}{
		{"token", func() any { return new(api.ACLToken) }, `{"Name":"a","Type":"client","Policies":["p"],"ExpirationTTL":"1h"}`, true},
		{"token-lowercase", func() any { return new(api.ACLToken) }, `{"name":"a","type":"client"}`, true},
		{"token-unknown", func() any { return new(api.ACLToken) }, `{"Name":"a","TTL":"1h"}`, false},
		{"role-link-unknown", func() any { return new(api.ACLToken) }, `{"Roles":[{"ID":"x","Label":"y"}]}`, false},
		{"pool-unknown-in-custom-unmarshal", func() any { return new(api.NodePool) }, `{"Name":"a","TTL":"1h"}`, false},
		{"pool-ttl-string", func() any { return new(api.NodePool) }, `{"Name":"a","NodeIdentityTTL":"24h"}`, true},
		{"job-group-unknown", func() any { return new(api.JobRegisterRequest) },
			`{"Job":{"ID":"w","TaskGroups":[{"Name":"g","MaxClientDisconect":1}]}}`, false},
		{"job-duration-string", func() any { return new(api.JobRegisterRequest) },
			`{"Job":{"ID":"w","TaskGroups":[{"Name":"g","Disconnect":{"LostAfter":"1h"}}]}}`, false},
		{"job-write-request", func() any { return new(api.JobRegisterRequest) }, `{"Job":{"ID":"w"},"Namespace":"a"}`, true},
		{"intro-ttl-string", func() any { return new(api.ACLIdentityClientIntroductionTokenRequest) }, `{"TTL":"20m"}`, false},
		{"intro-ttl-ns", func() any { return new(api.ACLIdentityClientIntroductionTokenRequest) }, `{"TTL":1200000000000}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := decodeStrict([]byte(tc.body), tc.into())
			if (err == nil) != tc.ok {
				t.Fatalf("decodeStrict(%s) = %v, want ok=%v", tc.body, err, tc.ok)
			}
		})
	}
}
