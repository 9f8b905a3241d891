"""/v1/operator/scheduler/configuration: the cluster's scheduler configuration (command/agent/operator_endpoint.go
OperatorSchedulerConfiguration, schedulerGetConfig, schedulerUpdateConfig; nomad/operator_endpoint.go
Operator.SchedulerGetConfiguration/SchedulerSetConfiguration; nomad/state/state_store.go SchedulerSetConfig,
SchedulerCASConfig; nomad/structs/operator.go SchedulerConfiguration)."""

import copy
import json

from ..common import HTTPFailure, route

ALGORITHMS = ("", "binpack", "spread")  # structs.SchedulerConfiguration.Validate
BOOLS = ("MemoryOversubscriptionEnabled", "RejectJobRegistration", "PauseEvalBroker")
PREEMPTION = ("SystemSchedulerEnabled", "SysBatchSchedulerEnabled", "BatchSchedulerEnabled",
              "ServiceSchedulerEnabled")


def _go_type(value):
    return {bool: "bool", str: "string", int: "number", float: "number", list: "array",
            dict: "object"}.get(type(value), "null")


def decode_config(raw):
    """The body decoded into api.SchedulerConfiguration as Go's encoding/json does (field names matched
    case-insensitively, unknown fields ignored), then copied field by field into a NEW
    structs.SchedulerConfiguration: every field the body leaves out is its zero value (schedulerUpdateConfig).
    Raises ValueError with the decoder's text for a wrong type."""
    try:
        body = json.loads(raw.decode())
    except ValueError as exc:
        raise ValueError("invalid character in request body: %s" % exc)
    if not isinstance(body, dict):
        raise ValueError("json: cannot unmarshal %s into Go value of type api.SchedulerConfiguration" % _go_type(body))
    lower = dict((k.lower(), v) for k, v in body.items())
    conf = {"SchedulerAlgorithm": "", "PreemptionConfig": dict((k, False) for k in PREEMPTION),
            "MemoryOversubscriptionEnabled": False, "RejectJobRegistration": False, "PauseEvalBroker": False,
            "NodeLimitForFeasibilityChecks": 0}

    def typed(name, value, kind):
        if value is None:
            return None
        ok = {"bool": isinstance(value, bool), "string": isinstance(value, str),
              "uint": isinstance(value, int) and not isinstance(value, bool) and value >= 0}[kind]
        if not ok:
            what = _go_type(value)
            if what == "number":  # encoding/json names the literal of a number that does not fit
                what = "number %s" % json.dumps(value)
            raise ValueError("json: cannot unmarshal %s into Go struct field SchedulerConfiguration.%s of type %s"
                             % (what, name, kind))
        return value

    algo = typed("SchedulerAlgorithm", lower.get("scheduleralgorithm"), "string")
    conf["SchedulerAlgorithm"] = algo or ""
    for key in BOOLS:
        value = typed(key, lower.get(key.lower()), "bool")
        conf[key] = bool(value)
    limit = typed("NodeLimitForFeasibilityChecks", lower.get("nodelimitforfeasibilitychecks"), "uint")
    conf["NodeLimitForFeasibilityChecks"] = limit or 0
    pre = lower.get("preemptionconfig")
    if pre is not None:
        if not isinstance(pre, dict):
            raise ValueError("json: cannot unmarshal %s into Go struct field SchedulerConfiguration.PreemptionConfig of "
                             "type api.PreemptionConfig" % _go_type(pre))
        plower = dict((k.lower(), v) for k, v in pre.items())
        for key in PREEMPTION:
            conf["PreemptionConfig"][key] = bool(typed("PreemptionConfig." + key, plower.get(key.lower()), "bool"))
    return conf


class SchedulerConfig:
    """Handler of /v1/operator/scheduler/configuration."""

    def scheduler_configuration(self):
        st = self.state
        if self.command == "GET":
            # schedulerGetConfig -> Operator.SchedulerGetConfiguration: operator read (AllowOperatorRead)
            self.auth(("operator", "read"))
            conf = copy.deepcopy(st.scheduler_config)
            if conf is None:
                raise HTTPFailure(500, "scheduler config not initialized yet")
            return 200, {"SchedulerConfig": conf, "Index": conf["ModifyIndex"], "LastContact": 0,
                         "KnownLeader": True, "NextToken": ""}, self.read_headers(conf["ModifyIndex"])
        # schedulerUpdateConfig: decode (400 "Error parsing scheduler config: ..."), Validate (400), ?cas (400),
        # then the RPC, which checks operator write (403) before it writes
        if not self.body:
            raise HTTPFailure(400, "Error parsing scheduler config: Request body is empty")
        try:
            conf = decode_config(self.body)
        except ValueError as exc:
            raise HTTPFailure(400, "Error parsing scheduler config: %s" % exc)
        if conf["SchedulerAlgorithm"] not in ALGORITHMS:
            raise HTTPFailure(400, "invalid scheduler algorithm: %s" % conf["SchedulerAlgorithm"])
        cas = None
        if "cas" in self.query:
            try:
                cas = int(self.query["cas"])
                if cas < 0:
                    raise ValueError
            except ValueError:
                raise HTTPFailure(400, 'Error parsing cas value: strconv.ParseUint: parsing "%s": invalid syntax'
                                  % self.query["cas"])
        self.auth(("operator", "write"))
        # nomad/fsm.go applySchedulerConfigUpdate: Canonicalize ("" -> binpack), then a raft entry whatever the
        # outcome: a check-and-set that does not match the stored ModifyIndex (or finds no stored config) answers
        # 200 Updated=false at that entry's index (state_store.go SchedulerCASConfig), never 409
        idx = st.next_index()
        conf["SchedulerAlgorithm"] = conf["SchedulerAlgorithm"] or "binpack"
        current = st.scheduler_config
        if cas is not None and (current is None or current["ModifyIndex"] != cas):
            return 200, {"Updated": False, "Index": idx}, self.write_headers(idx)
        conf["CreateIndex"] = current["CreateIndex"] if current else idx
        conf["ModifyIndex"] = idx
        st.scheduler_config = conf
        return 200, {"Updated": True, "Index": idx}, self.write_headers(idx)


ROUTES = [
    # OperatorSchedulerConfiguration: GET, PUT and POST; any other method 405 "Invalid method"
    route("GET PUT POST", r"/v1/operator/scheduler/configuration", SchedulerConfig.scheduler_configuration),
]
