#!/usr/bin/env python3
"""Renders and validates deploy/k8s (kustomize) and checks deploy/cloudrun.

    check_k8s.py REPO_ROOT OUT_DIR

Rendering: `kubectl kustomize` when kubectl is installed, else `kustomize build`, else the
small renderer below, which implements exactly what our kustomizations use (resources,
namespace, images, strategic-merge patches by kind and name, lists of named items merged by
name). When kubectl or kustomize is there, the small renderer's output is compared with theirs,
so it stays honest.

Validation: every rendered object against the Kubernetes JSON schemas with PyPI
kubernetes-validate (strict: unknown fields are errors). KEDA's ScaledObject and
TriggerAuthentication have no schema there and are skipped by the schema check; instead they
are checked here: the ScaledObject scales the worker Deployment on the consumer-group lag of the
stream and group that crates/doxin-jobs names. Cloud Run's Knative services have no schema there
either and get a structural check.
"""

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

K8S_VERSION = "1.30.0"
NOT_NAMESPACED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}


def load_all(path):
    return [d for d in yaml.safe_load_all(Path(path).read_text(encoding="utf-8")) if d]


def merge(base, patch):
    """Strategic merge, as far as our patches need it."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(x, dict) and "name" in x for x in base + patch)
    ):
        out = [copy.deepcopy(x) for x in base]
        for item in patch:
            for i, b in enumerate(out):
                if b["name"] == item["name"]:
                    out[i] = merge(b, item)
                    break
            else:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(patch)


def render(dirpath):
    """kustomize build, for the features our kustomizations use."""
    d = Path(dirpath)
    k = yaml.safe_load((d / "kustomization.yaml").read_text(encoding="utf-8"))
    known = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
    unknown = set(k) - known
    if unknown:
        raise SystemExit(f"{d}: the fallback renderer does not support {sorted(unknown)}")
    objs = []
    for r in k.get("resources", []):
        p = d / r
        objs.extend(render(p) if p.is_dir() else load_all(p))
    for patch in k.get("patches", []):
        for pd in load_all(d / patch["path"]):
            key = (pd["kind"], pd["metadata"]["name"])
            hits = [i for i, o in enumerate(objs) if (o["kind"], o["metadata"]["name"]) == key]
            if not hits:
                raise SystemExit(f"{d}: patch for {key} matches nothing")
            for i in hits:
                objs[i] = merge(objs[i], {x: v for x, v in pd.items() if x not in ("apiVersion", "kind")})
    for img in k.get("images", []):
        for o in objs:
            spec = o.get("spec", {}).get("template", {}).get("spec", {})
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                name, _, tag = c["image"].partition(":")
                if name == img["name"]:
                    c["image"] = f"{img.get('newName', name)}:{img.get('newTag', tag or 'latest')}"
    if "namespace" in k:
        for o in objs:
            if o["kind"] not in NOT_NAMESPACED:
                o["metadata"]["namespace"] = k["namespace"]
    return objs


def key(o):
    return (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])


def external_render(dirpath):
    if os.environ.get("DOXIN_DEPLOY_BUILTIN_KUSTOMIZE") == "1":
        return None, None
    if shutil.which("kubectl"):
        cmd = ["kubectl", "kustomize", str(dirpath)]
    elif shutil.which("kustomize"):
        cmd = ["kustomize", "build", str(dirpath)]
    else:
        return None, None
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return [d for d in yaml.safe_load_all(out.stdout) if d], cmd[0]


def jobs_keys(root):
    """The stream and group names crates/doxin-jobs builds from REDIS_KEY_PREFIX."""
    src = (root / "crates" / "doxin-jobs" / "src" / "lib.rs").read_text(encoding="utf-8")

    def suffix(fn):
        m = re.search(r"fn " + fn + r"\(&self\) -> String \{\s*format!\(\"\{\}(:[a-z:]+)\"", src)
        return m.group(1) if m else None

    return suffix("stream"), suffix("group")


def check_keda(objs, root, errors, where):
    stream_sfx, group_sfx = jobs_keys(root)
    if not stream_sfx or not group_sfx:
        errors.append("cannot find RedisKeys::stream / group in crates/doxin-jobs/src/lib.rs")
        return
    deployments = {o["metadata"]["name"] for o in objs if o["kind"] == "Deployment"}
    auths = {o["metadata"]["name"] for o in objs if o["kind"] == "TriggerAuthentication"}
    config = next((o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "doxin-config"), {})
    prefix = (config.get("data") or {}).get("REDIS_KEY_PREFIX", "doxin")
    sos = [o for o in objs if o["kind"] == "ScaledObject"]
    if len(sos) != 1:
        errors.append(f"{where}: expected one ScaledObject, found {len(sos)}")
        return
    so = sos[0]
    spec = so.get("spec", {})
    if spec.get("scaleTargetRef", {}).get("name") != "doxin-worker" or "doxin-worker" not in deployments:
        errors.append(f"{where}: the ScaledObject does not target the doxin-worker Deployment")
    if not (0 <= spec.get("minReplicaCount", 0) <= spec.get("maxReplicaCount", 0)):
        errors.append(f"{where}: ScaledObject replica bounds are wrong")
    trig = [t for t in spec.get("triggers", []) if t.get("type") == "redis-streams"]
    if len(trig) != 1:
        errors.append(f"{where}: expected one redis-streams trigger")
        return
    md = trig[0].get("metadata", {})
    if md.get("stream") != prefix + stream_sfx:
        errors.append(f"{where}: trigger stream {md.get('stream')!r}, DoxIn uses {prefix + stream_sfx!r}")
    if md.get("consumerGroup") != prefix + group_sfx:
        errors.append(f"{where}: trigger group {md.get('consumerGroup')!r}, DoxIn uses {prefix + group_sfx!r}")
    if "lagCount" not in md:
        errors.append(f"{where}: the trigger does not scale on the consumer-group lag (lagCount)")
    ref = trig[0].get("authenticationRef", {}).get("name")
    if ref and ref not in auths:
        errors.append(f"{where}: TriggerAuthentication {ref!r} is not in the manifests")


def check_cloudrun(root, errors):
    files = sorted((root / "deploy" / "cloudrun").glob("*.yaml"))
    if len(files) < 2:
        errors.append(f"deploy/cloudrun: expected the API and a worker service, found {len(files)} files")
    for f in files:
        for d in load_all(f):
            where = f"deploy/cloudrun/{f.name}"
            if d.get("apiVersion") != "serving.knative.dev/v1" or d.get("kind") != "Service":
                errors.append(f"{where}: not a serving.knative.dev/v1 Service")
                continue
            spec = d.get("spec", {}).get("template", {}).get("spec", {})
            cs = spec.get("containers") or []
            if len(cs) != 1:
                errors.append(f"{where}: expected one container")
                continue
            c = cs[0]
            for field in ("image", "ports", "resources"):
                if field not in c:
                    errors.append(f"{where}: container without {field}")
            env = {e["name"]: e for e in c.get("env", [])}
            for var in ("NEON_DATABASE_URL", "PRODUCTION_REDIS_URL", "SECRET_KEY", "JWT_SECRET_KEY"):
                e = env.get(var)
                if not e or "secretKeyRef" not in e.get("valueFrom", {}):
                    errors.append(f"{where}: {var} does not come from Secret Manager (secretKeyRef)")
            if not any("doxin-require-tls" in x for x in c.get("command", [])):
                errors.append(f"{where}: does not start through doxin-require-tls")


def main():
    root = Path(sys.argv[1]).resolve()
    out_dir = Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    import kubernetes_validate

    errors = []
    validated = skipped = 0
    renderer = "built-in renderer"
    overlays = sorted(p for p in (root / "deploy" / "k8s" / "overlays").iterdir() if p.is_dir())
    for ov in [root / "deploy" / "k8s" / "base"] + overlays:
        name = ov.name
        ours = render(ov)
        theirs, tool = external_render(ov)
        objs = ours
        if theirs is not None:
            renderer = f"{tool} kustomize"
            objs = theirs
            a = {key(o): o for o in ours}
            b = {key(o): o for o in theirs}
            if a != b:
                diff = sorted(set(a) ^ set(b)) or [k for k in a if a[k] != b.get(k)]
                errors.append(f"k8s/{name}: the built-in renderer differs from {tool}: {diff[:3]}")
        (out_dir / f"{name}.yaml").write_text(yaml.safe_dump_all(objs, sort_keys=False), encoding="utf-8")
        kinds = {o["kind"] for o in objs}
        for needed in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job", "ConfigMap", "ScaledObject"):
            if needed not in kinds:
                errors.append(f"k8s/{name}: no {needed}")
        for o in objs:
            if o["apiVersion"].startswith("keda.sh/"):
                skipped += 1
                continue
            try:
                kubernetes_validate.validate(o, K8S_VERSION, strict=True)
                validated += 1
            except kubernetes_validate.ValidationError as e:
                errors.append(f"k8s/{name}: {o['kind']}/{o['metadata']['name']}: {e.message} at {list(e.path)}")
        for o in objs:
            if o["kind"] == "Deployment" and o["metadata"]["name"] == "doxin-api":
                c = o["spec"]["template"]["spec"]["containers"][0]
                if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/api/v1/health/detailed":
                    errors.append(f"k8s/{name}: API readiness is not /api/v1/health/detailed")
                if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/api/health":
                    errors.append(f"k8s/{name}: API liveness is not /api/health")
        check_keda(objs, root, errors, f"k8s/{name}")
    check_cloudrun(root, errors)
    for e in errors:
        print(f"  k8s: {e}")
    print(
        f"  k8s: {len(overlays) + 1} kustomizations rendered with {renderer}; {validated} objects valid "
        f"against Kubernetes {K8S_VERSION} (strict); {skipped} KEDA objects skipped by the schema check "
        f"(checked structurally instead); Cloud Run services checked structurally"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
