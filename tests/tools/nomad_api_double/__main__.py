"""Run the Nomad API double as a process: python -m tests.tools.nomad_api_double --port 14646 [--acl] ..."""

import argparse
import json
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
    parser.add_argument("--region", default="global", help="the region the servers belong to")
    parser.add_argument("--enterprise", action="store_true",
                        help="answer as Nomad Enterprise (quotas, Sentinel, license); default: the community edition")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--tls-client-ca", help="require client certificates signed by this CA")
    parser.add_argument("--url-file", help="write the base URL here once listening")
    parser.add_argument("--rpc-listen", action="append", default=[], metavar="HOST:PORT",
                        help="also serve the client RPC routes (/_double/rpc/, what Nomad's port 4647 carries) here; "
                             "repeatable")
    parser.add_argument("--rpc-tls-cert")
    parser.add_argument("--rpc-tls-key")
    parser.add_argument("--rpc-tls-client-ca", help="RPC callers need a certificate of this CA naming "
                                                    "client.<region>.nomad or server.<region>.nomad")
    parser.add_argument("--server-config", help="the servers' agent configuration as JSON ({server: {...}, "
                                                "advertise: {rpc: ...}}), as /_double/server-config takes it")
    parser.add_argument("--record", help="append every request (method, path, query, JSON body) to this JSONL file "
                                         "(default: $NOMAD_API_DOUBLE_RECORD)")
    args = parser.parse_args(argv)
    state = DoubleState(acl=args.acl, nodes=args.nodes, region=args.region, enterprise=args.enterprise)
    if args.server_config:
        with open(args.server_config) as handle:
            state.set_server_config(json.load(handle))
    double = NomadAPIDouble(state, host=args.host, port=args.port, tls_cert=args.tls_cert,
                            tls_key=args.tls_key, tls_client_ca=args.tls_client_ca, record=args.record)
    rpc = []
    for listen in args.rpc_listen:
        host, port = listen.rsplit(":", 1)
        rpc.append(NomadAPIDouble(state, host=host.strip("[]"), port=int(port), tls_cert=args.rpc_tls_cert,
                                  tls_key=args.rpc_tls_key, tls_client_ca=args.rpc_tls_client_ca,
                                  rpc_only=True).start())
    if args.url_file:
        with open(args.url_file, "w") as handle:
            handle.write(double.url + "\n")
    sys.stdout.write("nomad api double listening on %s\n" % double.url)
    for listener in rpc:
        sys.stdout.write("client RPC routes (test double, not Nomad's RPC) on %s\n" % listener.url)
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, lambda *_: double.shutdown_from_signal())
    double.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
