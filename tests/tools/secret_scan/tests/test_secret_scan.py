"""The secret scanner of tests/tools/secret_scan/scan.py finds a planted value in every form it claims, at any
position inside a larger encoded document, and nothing in clean text."""

import base64
import importlib.util
import json
import urllib.parse
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("secret_scan", Path(__file__).resolve().parents[1] / "scan.py")
scan = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(scan)

TOKEN = "3f1c2a9e-5b7d-4c1e-9a2b-6d8e0f4a1b2c"
GOSSIP = base64.b64encode(b"k" * 32).decode()
PEM = ("-----BEGIN PRIVATE KEY-----\n"
       "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
       "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
       "-----END PRIVATE KEY-----\n")


def found(tmp_path, value, text):
    path = tmp_path / "out.log"
    path.write_text(text)
    return scan.scan({"s": value}, [str(path)])


@pytest.mark.parametrize("prefix", ["", "x", "xy", "xyz"])
@pytest.mark.parametrize("value", [TOKEN, GOSSIP])
def test_found_in_every_form(tmp_path, value, prefix):
    documents = {
        "plain": f"ok: {prefix}{value} done",
        "json": json.dumps({"k": prefix + value}),
        "base64": base64.b64encode((prefix + value + "tail").encode()).decode(),
        "base64 of JSON": base64.b64encode(json.dumps({"secret_id": prefix + value}).encode()).decode(),
        "base64 of HCL": base64.b64encode(f'server {{ encrypt = "{prefix}{value}" }}'.encode()).decode(),
        "base64url": base64.urlsafe_b64encode((prefix + value).encode()).decode(),
        "base64(base64)": base64.b64encode(base64.b64encode((prefix + value).encode())).decode(),
        "url": "https://h/?t=" + urllib.parse.quote(prefix + value, safe=""),
    }
    for name, text in documents.items():
        assert found(tmp_path, value, text), name


def test_pem_found_by_line_and_escaped(tmp_path):
    assert found(tmp_path, PEM, json.dumps({"content": PEM}))
    assert found(tmp_path, PEM, base64.b64encode(("x" + PEM).encode()).decode())
    assert found(tmp_path, PEM, "only one line: " + PEM.splitlines()[2])


def test_clean_text_is_clean(tmp_path):
    text = "-----BEGIN PRIVATE KEY-----\n" + json.dumps({"a": TOKEN[:10]}) + base64.b64encode(b"other").decode()
    assert not found(tmp_path, TOKEN, text)
    assert not found(tmp_path, PEM, text)


def test_check_refuses_values_too_short(tmp_path):
    secrets = tmp_path / "s.json"
    secrets.write_text(json.dumps({"short": "abc"}))
    assert scan.check(str(secrets), []) == 2


def test_sample_records_arguments(tmp_path):
    psfile = tmp_path / "ps.txt"
    rc = scan.sample(str(psfile), ["sh", "-c", "sleep 0.3; exit 3", "marker-" + TOKEN])
    assert rc == 3
    assert scan.scan({"s": TOKEN}, [str(psfile)])
