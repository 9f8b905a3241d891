"""Write the `retries` option of plugins/doc_fragments/nomad.py (the modules' and the nomad_nodes inventory
plugin's documentation) from the HTTP client's own policy: retry_policy_text() and DEFAULT_RETRIES of
plugins/module_utils/_nomad_api.py. ansible-test reads doc fragments as literal strings, so the text is
written into the file between its `# BEGIN retries` / `# END retries` lines rather than computed there.

Usage: python scripts/gen-retry-docs.py [--check]   (--check: exit 1 when the file is not what this writes)
"""

from __future__ import annotations

import importlib.util
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAGMENT = ROOT / "plugins" / "doc_fragments" / "nomad.py"
BLOCK = re.compile(r"(?P<indent>[ ]*)# BEGIN retries\n.*?(?P=indent)# END retries\n", re.S)


def client():
    spec = importlib.util.spec_from_file_location("_nomad_api", ROOT / "plugins" / "module_utils" / "_nomad_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def option_text(indent: str) -> str:
    api = client()
    lines = textwrap.wrap(api.retry_policy_text(), width=100)
    out = [indent + "# BEGIN retries", indent + "retries:", indent + "  description:"]
    out.append(indent + "    - >-")
    out += [indent + "      " + line for line in lines]
    out += [indent + "  type: int", indent + "  default: %d" % api.DEFAULT_RETRIES, indent + "# END retries"]
    return "\n".join(out) + "\n"


def generated(text: str) -> str:
    return BLOCK.sub(lambda m: option_text(m.group("indent")), text)


def main(argv) -> int:
    current = FRAGMENT.read_text(encoding="utf-8")
    wanted = generated(current)
    if "--check" in argv:
        if wanted != current:
            print("plugins/doc_fragments/nomad.py: the retries option differs from the HTTP client's policy; "
                  "run python scripts/gen-retry-docs.py")
            return 1
        return 0
    FRAGMENT.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
