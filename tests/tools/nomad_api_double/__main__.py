"""Run the Nomad API double as a process: python -m tests.tools.nomad_api_double --port 14646 [--acl] ..."""

import argparse
import signal
import sys

from .server import DoubleState, NomadAPIDouble


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.tools.nomad_api_double",
                                     description="Nomad API double (test double, not Nomad)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--acl", action="store_true", help="ACLs enabled (bootstrap needed)")
    parser.add_argument("--nodes", type=int, default=4, help="number of fake client nodes")
    parser.add_argument("--enterprise", action="store_true",
                        help="answer as Nomad Enterprise (quotas, Sentinel, license); default: the community edition")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--tls-client-ca", help="require client certificates signed by this CA")
    parser.add_argument("--url-file", help="write the base URL here once listening")
    parser.add_argument("--record", help="append every request (method, path, query, JSON body) to this JSONL file "
                                         "(default: $NOMAD_API_DOUBLE_RECORD)")
    args = parser.parse_args(argv)
    state = DoubleState(acl=args.acl, nodes=args.nodes, enterprise=args.enterprise)
    double = NomadAPIDouble(state, host=args.host, port=args.port, tls_cert=args.tls_cert,
                            tls_key=args.tls_key, tls_client_ca=args.tls_client_ca, record=args.record)
    if args.url_file:
        with open(args.url_file, "w") as handle:
            handle.write(double.url + "\n")
    sys.stdout.write("nomad api double listening on %s\n" % double.url)
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, lambda *_: double.shutdown_from_signal())
    double.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
