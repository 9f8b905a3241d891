// Package contract checks the Nomad API double (tests/tools/nomad_api_double) and the request bodies the
// collection's modules send against Nomad's own Go client, github.com/hashicorp/nomad/api (MPL-2.0,
// its own module; the main github.com/hashicorp/nomad module is not used).
//
//   - every route the collection calls is driven with api.Client against the double;
//   - every request body the modules sent in their tests (recorded by the double, see
//     NOMAD_API_DOUBLE_RECORD) is decoded into the matching api type with unknown fields disallowed;
//   - every route the modules called must have been driven here.
//
// Run: cd tests/tools/nomad_api_double/contract && GOFLAGS=-mod=mod go test ./... (make integration-contract does this with
// the project's environment). CONTRACT_REQUESTS names JSONL files of recorded module requests
// (colon-separated); without it the test records them itself by running the module unit tests.
package contract

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recorded is one line of the double's request log (tests/tools/nomad_api_double/server.py _record).
type recorded struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Query  map[string]string `json:"query"`
	Body   json.RawMessage   `json:"body"`
}

// repoRoot is the collection checkout: $EDGEOPS_ROOT, else four levels up from this directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	if root := os.Getenv("EDGEOPS_ROOT"); root != "" {
		return root
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", "..", "..", ".."))
}

// python is the project's virtualenv interpreter when bootstrapped, else python3 from PATH.
func python(root string) string {
	venv := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(venv); err == nil {
		return venv
	}
	return "python3"
}

// double is one running Nomad API double process.
type double struct {
	URL    string
	Record string
	cmd    *exec.Cmd
}

// startDouble runs `python -m tests.tools.nomad_api_double` (see its __main__.py) with ACLs on and a
// request log of its own, and waits for its URL file.
func startDouble(t *testing.T, args ...string) *double {
	t.Helper()
	root := repoRoot(t)
	dir := t.TempDir()
	d := &double{Record: filepath.Join(dir, "requests.jsonl")}
	urlFile := filepath.Join(dir, "url")
	argv := append([]string{"-m", "tests.tools.nomad_api_double", "--port", "0", "--url-file", urlFile,
		"--record", d.Record}, args...)
	d.cmd = exec.Command(python(root), argv...)
	d.cmd.Dir = root
	d.cmd.Env = append(os.Environ(), "NOMAD_API_DOUBLE_RECORD=")
	var logs bytes.Buffer
	d.cmd.Stdout, d.cmd.Stderr = &logs, &logs
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start the double: %v", err)
	}
	t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		_ = d.cmd.Wait()
	})
	// up to 60 s: Python's start-up and the imports take seconds on a loaded machine
	for i := 0; i < 1200; i++ {
		if data, err := os.ReadFile(urlFile); err == nil && len(bytes.TrimSpace(data)) > 0 {
			d.URL = strings.TrimSpace(string(data))
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the double did not start: %s", logs.String())
	return nil
}

// readRecords reads JSONL request logs.
func readRecords(t *testing.T, paths ...string) []recorded {
	t.Helper()
	var out []recorded
	for _, path := range paths {
		handle, err := os.Open(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		scanner := bufio.NewScanner(handle)
		scanner.Buffer(make([]byte, 1<<20), 64<<20)
		for scanner.Scan() {
			var rec recorded
			if err := json.Unmarshal(scanner.Bytes(), &rec); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			out = append(out, rec)
		}
		if err := scanner.Err(); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		_ = handle.Close()
	}
	return out
}

// moduleRecords returns the requests the modules sent in their tests: the files named by
// CONTRACT_REQUESTS, or a fresh recording of the module unit tests (tests/unit/plugins/modules).
func moduleRecords(t *testing.T) []recorded {
	t.Helper()
	if env := os.Getenv("CONTRACT_REQUESTS"); env != "" {
		var paths []string
		for _, p := range strings.Split(env, ":") {
			if p != "" {
				paths = append(paths, p)
			}
		}
		return readRecords(t, paths...)
	}
	root := repoRoot(t)
	record := filepath.Join(t.TempDir(), "modules.jsonl")
	cmd := exec.Command(python(root), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit/plugins/modules")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "NOMAD_API_DOUBLE_RECORD="+record,
		"PYTHONPATH="+filepath.Join(root, ".cache", "collections"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("module unit tests (recording only; their failures are reported by make unit):\n%s", tail(out, 30))
	}
	if _, statErr := os.Stat(record); statErr != nil {
		t.Fatalf("the module tests recorded no request (%v): %s", statErr, tail(out, 30))
	}
	return readRecords(t, record)
}

func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func describe(r recorded) string {
	return fmt.Sprintf("%s %s", r.Method, r.Path)
}
