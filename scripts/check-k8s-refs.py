#!/usr/bin/env python3
"""Checks that the objects of a rendered kustomize overlay refer to each other
correctly, which schema validation cannot see: every ConfigMap, Secret,
ServiceAccount, Role, Service and scale target named somewhere exists in the
same namespace (with the keys asked for), every selector selects some pod,
and the kubernetes executor's settings in kiln-config point at real objects.
Pods in namespaces that enforce the Pod Security Standard "restricted" are
checked against it, as admission would on a cluster. It also checks the
shape of KEDA's ScaledObject and TriggerAuthentication,
for which kubernetes-validate has no schema: only known fields, and the
HPA behavior they carry validated against the Kubernetes schema.

    check-k8s-refs.py RENDERED.yaml [--external FILE.yaml]... [-k VERSION]...

Objects in --external files are taken to exist (Secrets created outside the
overlay, as in k8s/secrets.template.yaml). Prints one line per problem and
exits 1 if there is any.
"""

import argparse
import sys

import yaml
from kubernetes_validate import utils as kubernetes_validate

# Pods that exist only at run time: the kubernetes executor creates the job
# pods, so policies may select them although no template in the output does.
RUNTIME_PODS = {
    "kiln-executor": [{"app.kubernetes.io/name": "kiln", "app.kubernetes.io/component": "job"}],
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}

# The fields of KEDA's keda.sh/v1alpha1 objects (ScaledObject and
# TriggerAuthentication specifications, KEDA 2.x), for a strict check of the
# objects kubernetes-validate cannot validate. A nested dict lists the fields
# of an object; None accepts any value.
KEDA_FIELDS = {
    "ScaledObject": {
        "scaleTargetRef": {"apiVersion": None, "kind": None, "name": None, "envSourceContainerName": None},
        "pollingInterval": None,
        "cooldownPeriod": None,
        "initialCooldownPeriod": None,
        "idleReplicaCount": None,
        "minReplicaCount": None,
        "maxReplicaCount": None,
        "fallback": {"failureThreshold": None, "replicas": None, "behavior": None},
        "advanced": {
            "restoreToOriginalReplicaCount": None,
            "horizontalPodAutoscalerConfig": {"name": None, "behavior": None},
            "scalingModifiers": {"target": None, "activationTarget": None, "metricType": None, "formula": None},
        },
        "triggers": [{
            "type": None, "name": None, "metadata": None, "useCachedMetrics": None,
            "authenticationRef": {"name": None, "kind": None}, "metricType": None,
        }],
    },
    "TriggerAuthentication": {
        "secretTargetRef": [{"parameter": None, "name": None, "key": None}],
        "env": [{"parameter": None, "name": None, "containerName": None}],
        "configMapTargetRef": [{"parameter": None, "name": None, "key": None}],
        "podIdentity": None, "hashiCorpVault": None, "azureKeyVault": None,
        "awsSecretManager": None, "gcpSecretManager": None, "boundServiceAccountToken": None,
    },
}


# What the Pod Security Standard "restricted" allows (Kubernetes 1.25+).
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                      "persistentVolumeClaim", "projected", "secret"}


def restricted_violations(pod):
    """What in a pod spec the "restricted" Pod Security Standard refuses."""
    found = []
    pod_sc = pod.get("securityContext") or {}
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            found.append(f"{flag} is set")
    for volume in pod.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            found.append(f"volume {volume['name']} is of a kind restricted forbids ({', '.join(sorted(kinds))})")
    if pod_sc.get("runAsUser") == 0:
        found.append("the pod runs as uid 0")
    containers = (pod.get("initContainers") or []) + pod["containers"]
    for container in containers:
        sc = container.get("securityContext") or {}
        name = f"container {container['name']}"
        if sc.get("privileged"):
            found.append(f"{name} is privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name} does not set allowPrivilegeEscalation: false")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            found.append(f"{name} does not drop ALL capabilities")
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            found.append(f"{name} adds capabilities other than NET_BIND_SERVICE")
        if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
            found.append(f"{name} does not run as non-root (runAsNonRoot)")
        if sc.get("runAsUser") == 0:
            found.append(f"{name} runs as uid 0")
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if seccomp not in {"RuntimeDefault", "Localhost"}:
            found.append(f"{name} has no RuntimeDefault or Localhost seccomp profile")
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                found.append(f"{name} uses a host port")
    return found


def unknown_fields(value, fields, path):
    """Paths of the fields of value that fields does not list."""
    if fields is None:
        return []
    if isinstance(fields, list):
        if not isinstance(value, list):
            return [f"{path} must be a list"]
        return [p for i, item in enumerate(value) for p in unknown_fields(item, fields[0], f"{path}[{i}]")]
    if not isinstance(value, dict):
        return [f"{path} must be an object"]
    found = []
    for key, item in value.items():
        if key not in fields:
            found.append(f"{path}.{key} is not a field")
        else:
            found.extend(unknown_fields(item, fields[key], f"{path}.{key}"))
    return found


def load(path):
    with open(path) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rendered")
    parser.add_argument("--external", action="append", default=[])
    parser.add_argument("--kubernetes-version", "-k", action="append", default=[])
    args = parser.parse_args()
    args.kubernetes_version = args.kubernetes_version or [kubernetes_validate.latest_version()]

    objects = load(args.rendered)
    external = [obj for path in args.external for obj in load(path)]
    problems = []
    index = {}
    for obj in objects + external:
        meta = obj["metadata"]
        key = (obj["kind"], meta.get("namespace"), meta["name"])
        if key in index and obj in objects:
            problems.append(f"{obj['kind']} {meta.get('namespace')}/{meta['name']} is defined twice")
        index[key] = obj

    def find(kind, ns, name):
        return index.get((kind, ns, name))

    def where(obj):
        return f"{obj['kind']} {obj['metadata'].get('namespace')}/{obj['metadata']['name']}"

    def need(obj, kind, ns, name, keys=()):
        target = find(kind, ns, name)
        if target is None:
            problems.append(f"{where(obj)} refers to {kind} {ns}/{name}, which does not exist")
            return
        present = set(target.get("data") or {}) | set(target.get("stringData") or {})
        for key in keys:
            if key not in present:
                problems.append(f"{where(obj)} needs key {key} of {kind} {ns}/{name}, which lacks it")

    # Pod templates by namespace, with their labels and containers.
    pods = {}
    for obj in objects:
        if obj["kind"] in WORKLOADS:
            template = obj["spec"]["template"]
            pods.setdefault(obj["metadata"]["namespace"], []).append(
                (template["metadata"].get("labels") or {}, template["spec"], obj)
            )

    def selects(ns, selector):
        labels = [p[0] for p in pods.get(ns, [])] + RUNTIME_PODS.get(ns, [])
        return [l for l in labels if all(l.get(k) == v for k, v in selector.items())]

    namespaces = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
    for obj in objects:
        kind, meta = obj["kind"], obj["metadata"]
        ns = meta.get("namespace")
        if kind not in {"Namespace", "ClusterRole", "ClusterRoleBinding"}:
            if ns is None:
                problems.append(f"{kind} {meta['name']} has no namespace")
            elif ns not in namespaces:
                problems.append(f"{where(obj)} is in namespace {ns}, which the overlay does not create")
        if kind == "Namespace":
            labels = meta.get("labels") or {}
            if labels.get("pod-security.kubernetes.io/enforce") != "restricted":
                problems.append(f"namespace {meta['name']} does not enforce Pod Security restricted")

        if kind in WORKLOADS:
            spec = obj["spec"]
            template = spec["template"]
            labels = template["metadata"].get("labels") or {}
            match = (spec.get("selector") or {}).get("matchLabels") or {}
            if kind != "Job" and not match:
                problems.append(f"{where(obj)} has no selector")
            for k, v in match.items():
                if labels.get(k) != v:
                    problems.append(f"{where(obj)}: selector {k}={v} does not match its pod template")
            pod = template["spec"]
            ns_obj = find("Namespace", None, ns)
            ns_labels = ((ns_obj or {}).get("metadata") or {}).get("labels") or {}
            if ns_labels.get("pod-security.kubernetes.io/enforce") == "restricted":
                for problem in restricted_violations(pod):
                    problems.append(f"{where(obj)}: Pod Security restricted refuses it: {problem}")
            if pod.get("serviceAccountName"):
                need(obj, "ServiceAccount", ns, pod["serviceAccountName"])
            for volume in pod.get("volumes") or []:
                if "configMap" in volume:
                    need(obj, "ConfigMap", ns, volume["configMap"]["name"])
                if "secret" in volume:
                    need(obj, "Secret", ns, volume["secret"]["secretName"])
            for container in (pod.get("initContainers") or []) + pod["containers"]:
                for source in container.get("envFrom") or []:
                    if "configMapRef" in source:
                        need(obj, "ConfigMap", ns, source["configMapRef"]["name"])
                    if "secretRef" in source:
                        need(obj, "Secret", ns, source["secretRef"]["name"])
                for env in container.get("env") or []:
                    ref = env.get("valueFrom") or {}
                    if "configMapKeyRef" in ref:
                        r = ref["configMapKeyRef"]
                        need(obj, "ConfigMap", ns, r["name"], [r["key"]])
                    if "secretKeyRef" in ref:
                        r = ref["secretKeyRef"]
                        need(obj, "Secret", ns, r["name"], [r["key"]])
                mounts = {m["name"] for m in container.get("volumeMounts") or []}
                declared = {v["name"] for v in pod.get("volumes") or []} | {
                    c["metadata"]["name"] for c in spec.get("volumeClaimTemplates") or []
                }
                for missing in sorted(mounts - declared):
                    problems.append(f"{where(obj)}: container {container['name']} mounts unknown volume {missing}")

        if kind in {"Service", "PodDisruptionBudget", "NetworkPolicy"}:
            if kind == "Service":
                selector = obj["spec"].get("selector") or {}
            elif kind == "PodDisruptionBudget":
                selector = obj["spec"]["selector"].get("matchLabels") or {}
            else:
                selector = obj["spec"]["podSelector"].get("matchLabels") or {}
            if selector and not selects(ns, selector):
                problems.append(f"{where(obj)} selects no pod ({selector})")
        if kind == "Service":
            named = {
                port["name"]
                for labels, pod, _ in pods.get(ns, [])
                if all(labels.get(k) == v for k, v in (obj["spec"].get("selector") or {}).items())
                for container in pod["containers"]
                for port in container.get("ports") or []
                if "name" in port
            }
            for port in obj["spec"]["ports"]:
                target = port.get("targetPort")
                if isinstance(target, str) and target not in named:
                    problems.append(f"{where(obj)}: targetPort {target} is no container port of its pods")
        if kind == "Ingress":
            for rule in obj["spec"].get("rules") or []:
                for path in rule["http"]["paths"]:
                    backend = path["backend"]["service"]
                    service = find("Service", ns, backend["name"])
                    if service is None:
                        problems.append(f"{where(obj)} routes to Service {ns}/{backend['name']}, which does not exist")
                    elif "name" in backend["port"] and backend["port"]["name"] not in {
                        p.get("name") for p in service["spec"]["ports"]
                    }:
                        problems.append(f"{where(obj)} routes to port {backend['port']['name']}, which {where(service)} lacks")
        if kind == "RoleBinding":
            ref = obj["roleRef"]
            if ref["kind"] == "Role":
                need(obj, "Role", ns, ref["name"])
            for subject in obj.get("subjects") or []:
                if subject["kind"] == "ServiceAccount":
                    need(obj, "ServiceAccount", subject.get("namespace", ns), subject["name"])
        if kind == "HorizontalPodAutoscaler":
            need(obj, obj["spec"]["scaleTargetRef"]["kind"], ns, obj["spec"]["scaleTargetRef"]["name"])
        if kind == "ScaledObject":
            target = obj["spec"]["scaleTargetRef"]
            need(obj, target.get("kind", "Deployment"), ns, target["name"])
            for trigger in obj["spec"]["triggers"]:
                if "authenticationRef" in trigger:
                    need(obj, "TriggerAuthentication", ns, trigger["authenticationRef"]["name"])
                if trigger["type"] == "postgresql" and not {"query", "targetQueryValue"} <= set(trigger["metadata"]):
                    problems.append(f"{where(obj)}: a postgresql trigger needs query and targetQueryValue")
        if kind == "TriggerAuthentication":
            for ref in obj["spec"].get("secretTargetRef") or []:
                need(obj, "Secret", ns, ref["name"], [ref["key"]])
        if kind in KEDA_FIELDS:
            if obj["apiVersion"] != "keda.sh/v1alpha1":
                problems.append(f"{where(obj)}: apiVersion must be keda.sh/v1alpha1")
            for problem in unknown_fields(obj["spec"], KEDA_FIELDS[kind], "spec"):
                problems.append(f"{where(obj)}: {problem}")
        if kind == "ScaledObject":
            # KEDA hands this to the HPA it creates: check it as one.
            spec = obj["spec"]
            behavior = ((spec.get("advanced") or {}).get("horizontalPodAutoscalerConfig") or {}).get("behavior")
            if not 0 <= spec.get("minReplicaCount", 0) <= spec.get("maxReplicaCount", 100):
                problems.append(f"{where(obj)}: minReplicaCount must be between 0 and maxReplicaCount")
            if behavior is not None:
                hpa = {
                    "apiVersion": "autoscaling/v2",
                    "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": meta["name"], "namespace": ns},
                    "spec": {
                        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec["scaleTargetRef"]["name"]},
                        "maxReplicas": spec.get("maxReplicaCount", 100),
                        "behavior": behavior,
                    },
                }
                for version in args.kubernetes_version:
                    try:
                        kubernetes_validate.validate(hpa, version, strict=True)
                    except kubernetes_validate.ValidationError as err:
                        path = ".".join(str(item) for item in err.path)
                        problems.append(f"{where(obj)}: its HPA behavior does not validate ({path}: {err.message})")

    # One autoscaler per workload.
    scaled = {}
    for obj in objects:
        if obj["kind"] in {"ScaledObject", "HorizontalPodAutoscaler"}:
            target = (obj["metadata"]["namespace"], obj["spec"]["scaleTargetRef"]["name"])
            scaled.setdefault(target, []).append(where(obj))
    for (ns, name), owners in scaled.items():
        if len(owners) > 1:
            problems.append(f"Deployment {ns}/{name} has two autoscalers: {', '.join(owners)}")

    # The kubernetes executor's settings.
    for obj in objects:
        if obj["kind"] != "ConfigMap" or not obj["metadata"]["name"].startswith("kiln-config"):
            continue
        data = obj.get("data") or {}
        if data.get("KILN_EXECUTOR") != "kubernetes":
            continue
        ns = data.get("KILN_K8S_NAMESPACE")
        if ns not in namespaces:
            problems.append(f"KILN_K8S_NAMESPACE={ns} is not a namespace of the overlay")
        account = find("ServiceAccount", ns, data.get("KILN_K8S_SERVICE_ACCOUNT"))
        if account is None:
            problems.append(f"KILN_K8S_SERVICE_ACCOUNT={data.get('KILN_K8S_SERVICE_ACCOUNT')} is no ServiceAccount in {ns}")
        elif account.get("automountServiceAccountToken") is not False:
            problems.append(f"ServiceAccount {ns}/{account['metadata']['name']} must not mount its token")
        for binding in objects:
            if binding["kind"] in {"RoleBinding", "ClusterRoleBinding"}:
                for subject in binding.get("subjects") or []:
                    if account and subject.get("name") == account["metadata"]["name"] and subject.get("namespace", binding["metadata"].get("namespace")) == ns:
                        problems.append(f"{where(binding)} grants permissions to the job pods' account")
        need(obj, "Secret", ns, data.get("KILN_K8S_ENV_SECRET"), ["KILN_DATABASE_URL", "KILN_S3_BUCKET", "KILN_NO_MIGRATE"])
        images = {
            container["image"]
            for labels, pod, owner in pods.get(obj["metadata"]["namespace"], [])
            if labels.get("app.kubernetes.io/component") == "worker"
            for container in pod["containers"]
        }
        if images != {data.get("KILN_K8S_IMAGE")}:
            problems.append(f"KILN_K8S_IMAGE={data.get('KILN_K8S_IMAGE')} is not the workers' image ({', '.join(sorted(images))})")

    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
