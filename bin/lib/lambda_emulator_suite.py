"""The emulated-Lambda suite: runs the packaged arm64 `bootstrap` as Lambda runs it.

usage: lambda_emulator_suite.py --task-root DIR --template FILE --s3-endpoint URL
           [--region R] [--native BIN] [--qemu PATH]

- task root: the asset directory CDK packaged (bootstrap + assets/watermarks), mounted
  read-only at /var/task in a bubblewrap sandbox where only /tmp is writable; the
  bootstrap runs under qemu-aarch64-static (its AVIF decoder child through binfmt_misc).
- environment: Lambda's own variables, plus the function's Environment.Variables from the
  synthesized template (CloudFormation references resolved against moto: the bucket is a
  fresh bucket there, `{{resolve:secretsmanager:...}}` reads the secret there, the secret
  id names the secret there).
- Runtime API: lambda_emulator.RuntimeApi on loopback.
- events: API Gateway REST (payload v1) proxy events as our REST API sends them behind
  CloudFront (stage in requestContext.path, multiValueHeaders,
  multiValueQueryStringParameters, base64 bodies because binaryMediaTypes is */*).
Needs boto3 (from moto) and Pillow in the interpreter that runs it.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lambda_emulator import RuntimeApi  # noqa: E402
from rest_api import (  # noqa: E402
    ACCOUNT, PRELUDE_DELIMITER, STREAM_CONTENT_TYPE, Answer, read_streamed, rest_event,
)

import boto3  # noqa: E402
from PIL import Image  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(REPO, "assets", "samples")
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
                 "avif": "image/avif", "gif": "image/gif", "tiff": "image/tiff"}
PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF", "gif": "GIF", "tiff": "TIFF"}

passed = 0
failed = 0
STARTED = time.monotonic()


def check(name: str, ok: bool, detail: str = "") -> bool:
    global passed, failed
    if ok:
        passed += 1
        print(f"  ok    {name}", flush=True)
    else:
        failed += 1
        print(f"  FAIL  {name}{': ' + detail if detail else ''}", flush=True)
    return ok


# --- the function's environment, from the template -----------------------------------

def service_function(template: dict) -> dict:
    found = [r for r in template["Resources"].values()
             if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("Handler") == "bootstrap"]
    if len(found) != 1:
        raise SystemExit(f"expected one bootstrap function in the template, found {len(found)}")
    return found[0]


class Resolver:
    """Resolves the CloudFormation values of the function's environment against moto."""

    def __init__(self, template: dict, region: str, bucket: str, secret_name: str, secret: dict,
                 make_bucket=None):
        self.resources = template["Resources"]
        self.region, self.bucket, self.secret_name, self.secret = region, bucket, secret_name, secret
        # Every other bucket of the stack (the results bucket) is a fresh, empty moto bucket
        # of its own, so results never land among the originals.
        self.make_bucket, self.others = make_bucket, {}

    def bucket_of(self, logical_id: str) -> str:
        if logical_id.startswith("Originals") or self.make_bucket is None:
            return self.bucket
        if logical_id not in self.others:
            name = f"{self.bucket}-{len(self.others) + 1}"
            self.make_bucket(name)
            self.others[logical_id] = name
        return self.others[logical_id]

    def dynamic(self, s: str) -> str:
        def one(m: re.Match) -> str:
            parts = m.group(1).split(":")
            # {{resolve:secretsmanager:ID:SecretString:FIELD:VERSION_STAGE:VERSION_ID}}
            if parts[0] != "secretsmanager" or len(parts) < 4 or parts[2] != "SecretString":
                raise SystemExit(f"cannot resolve dynamic reference {m.group(0)}")
            value = self.secret.get(parts[3], "") if parts[3] else json.dumps(self.secret)
            return str(value)
        return re.sub(r"\{\{resolve:(.*?)\}\}", one, s)

    def value(self, v):
        if isinstance(v, str):
            return self.dynamic(v)
        if isinstance(v, (int, float, bool)):
            return str(v).lower() if isinstance(v, bool) else str(v)
        if isinstance(v, dict) and len(v) == 1:
            (fn, arg), = v.items()
            if fn == "Fn::Join":
                return arg[0].join(self.value(x) for x in arg[1])
            if fn == "Ref":
                pseudo = {"AWS::Region": self.region, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
                          "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": ""}
                if arg in pseudo:
                    return pseudo[arg]
                kind = self.resources.get(arg, {}).get("Type")
                if kind == "AWS::S3::Bucket":
                    return self.bucket_of(arg)
                if kind == "AWS::SecretsManager::Secret":
                    return self.secret_name
                raise SystemExit(f"cannot resolve Ref {arg} ({kind})")
            if fn == "Fn::GetAtt":
                res, att = arg if isinstance(arg, list) else arg.split(".", 1)
                kind = self.resources.get(res, {}).get("Type")
                if kind == "AWS::S3::Bucket" and att == "Arn":
                    return f"arn:aws:s3:::{self.bucket_of(res)}"
                raise SystemExit(f"cannot resolve Fn::GetAtt {arg} ({kind})")
        raise SystemExit(f"cannot resolve {json.dumps(v)} in the function's environment")


def multipart(files: list[tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = "----emulated" + uuid.uuid4().hex
    out = io.BytesIO()
    for name, data, ctype in files:
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"{name}\"\r\n"
                  f"Content-Type: {ctype}\r\n\r\n".encode())
        out.write(data)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"



# --- running the function -------------------------------------------------------------

def sandbox(task_root: str, env: dict[str, str], command: list[str]) -> list[str]:
    """bubblewrap: a root of the host's /usr and /etc (read-only), the task root read-only at
    /var/task, a private /tmp, nothing else writable; environment exactly `env`."""
    args = ["bwrap", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = os.readlink(f"/{link}") if os.path.islink(f"/{link}") else None
        if target:
            args += ["--symlink", target, f"/{link}"]
        elif os.path.isdir(f"/{link}"):
            args += ["--ro-bind", f"/{link}", f"/{link}"]
    args += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--dir", "/var/runtime",
             "--ro-bind", task_root, "/var/task", "--remount-ro", "/",
             "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
             "--chdir", "/var/task", "--clearenv"]
    for k, v in env.items():
        args += ["--setenv", k, v]
    return args + ["--"] + command


class Function:
    """One function instance: the sandboxed process and its Runtime API."""

    def __init__(self, name: str, task_root: str, env: dict[str, str], command: list[str],
                 region: str, timeout: float, log_path: str):
        self.api = RuntimeApi(env["AWS_LAMBDA_FUNCTION_NAME"], region, ACCOUNT, timeout).start()
        env = dict(env, AWS_LAMBDA_RUNTIME_API=self.api.address)
        self.log = open(log_path, "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(sandbox(task_root, env, command), stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.name = name
        self.answers: list[Answer] = []

    def wait_init(self, seconds: float) -> float | None:
        """Seconds from process start to the first /next poll; None on failure."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.api.first_poll.wait(0.05):
                break
            if self.proc.poll() is not None:
                return None
        if self.api.first_poll_at is None:
            return None
        return self.api.first_poll_at - self.started

    def invoke(self, event: dict) -> Answer:
        answer = Answer(self.api.invoke(event))
        self.answers.append(answer)
        return answer

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.api.stop()
        self.log.close()


def runtime_api_streaming_self_test(region: str) -> None:
    """Our Runtime API takes a streamed result the way Lambda's does, before the function
    relies on it: chunks as they come, error trailers turn it into a mid-stream error, and
    response mode streaming without chunked encoding is refused."""
    import http.client
    import threading
    api = RuntimeApi("self-test", region, ACCOUNT, 10).start()
    results: dict = {}

    def invoke(name: str) -> None:
        results[name] = api.invoke({"test": name}, wait_seconds=10)

    def post(chunks: list[bytes], trailers: list[tuple[str, str]], chunked: bool = True) -> int:
        c = http.client.HTTPConnection(api.address.split(":")[0], api.port, timeout=10)
        c.request("GET", "/2018-06-01/runtime/invocation/next")
        nxt = c.getresponse()
        nxt.read()
        rid = nxt.headers["Lambda-Runtime-Aws-Request-Id"]
        c.putrequest("POST", f"/2018-06-01/runtime/invocation/{rid}/response")
        c.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
        c.putheader("Content-Type", STREAM_CONTENT_TYPE)
        if chunked:
            c.putheader("Transfer-Encoding", "chunked")
            c.putheader("Trailer", "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body")
            c.endheaders()
            for chunk in chunks:
                c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            c.send(b"0\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in trailers) + b"\r\n")
        else:
            body = b"".join(chunks)
            c.putheader("Content-Length", str(len(body)))
            c.endheaders()
            c.send(body)
        status = c.getresponse().status
        c.close()
        return status

    try:
        cases = [
            ("ok", [b'{"statusCode":201,"headers":{"a":"b"}}', PRELUDE_DELIMITER, b"\0" * 9 + b"xy"], []),
            ("error", [b'{"statusCode":200}', PRELUDE_DELIMITER, b"par"],
             [("Lambda-Runtime-Function-Error-Type", "Runtime.StreamError"),
              ("Lambda-Runtime-Function-Error-Body", base64.b64encode(b"broke").decode())]),
        ]
        statuses = {}
        for name, chunks, trailers in cases + [("unchunked", [b'{"statusCode":200}', PRELUDE_DELIMITER], [])]:
            t = threading.Thread(target=invoke, args=(name,), daemon=True)
            t.start()
            statuses[name] = post(chunks, trailers, chunked=name != "unchunked")
            t.join(10)
        ok = results["ok"]
        prelude, body, problem = read_streamed(ok.body, STREAM_CONTENT_TYPE)
        check("Runtime API emulator: a streamed result (3 chunks) is taken whole: 202, prelude "
              "split at the first 8 NULs, NUL bytes in the body kept",
              statuses["ok"] == 202 and ok.kind == "response" and ok.streamed and ok.chunks == 3
              and not problem and prelude["statusCode"] == 201 and body == b"\0" * 9 + b"xy",
              f"{statuses} {ok} {problem}")
        err = results["error"]
        check("Runtime API emulator: error trailers end a streamed result as a mid-stream error",
              err.kind == "stream-error" and base64.b64decode(
                  err.trailers.get("lambda-runtime-function-error-body", "")) == b"broke",
              f"{err}")
        check("Runtime API emulator: response mode streaming without chunked encoding is refused (400)",
              statuses["unchunked"] == 400 and results["unchunked"].kind == "protocol-error",
              f"{statuses} {results.get('unchunked')}")
    finally:
        api.stop()


def decodes_as(data: bytes, fmt: str) -> tuple[bool, str]:
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.format != PIL_FORMATS[fmt]:
                return False, f"Pillow reads {im.format}"
            return True, f"{im.width}x{im.height}"
    except Exception as e:  # noqa: BLE001 - any decoder failure is the finding
        return False, f"Pillow cannot decode it: {e}"


def image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except Exception:  # noqa: BLE001
        return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task-root", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("--s3-endpoint", required=True)
    ap.add_argument("--region", default="eu-central-1")
    ap.add_argument("--native", help="an x86-64 image-service-lambda, for its init duration")
    ap.add_argument("--qemu", default="/usr/bin/qemu-aarch64-static")
    ap.add_argument("--work", required=True, help="a directory for logs")
    ap.add_argument("--started-seconds-ago", type=float, default=0.0, help="for the total time printed")
    a = ap.parse_args()
    global STARTED
    STARTED = time.monotonic() - a.started_seconds_ago

    template = json.load(open(a.template))
    fn = service_function(template)
    props = fn["Properties"]
    template_env = props.get("Environment", {}).get("Variables", {})
    memory = str(props.get("MemorySize", 128))
    timeout = float(props.get("Timeout", 3))
    function_name = f"image-service-dev-Function-{uuid.uuid4().hex[:12]}"

    # --- moto: the bucket and the secret the stack would point at
    creds = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": a.region}
    s3 = boto3.client("s3", endpoint_url=a.s3_endpoint, **creds)
    sm = boto3.client("secretsmanager", endpoint_url=a.s3_endpoint, **creds)
    bucket = f"lambda-package-{uuid.uuid4().hex[:12]}"

    def make_bucket(name: str) -> None:
        if a.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": a.region})
    make_bucket(bucket)
    originals = {
        "photos/landscape.jpg": open(os.path.join(SAMPLES, "Landscape_6.jpg"), "rb").read(),
        "photos/bug.png": open(os.path.join(SAMPLES, "blackbug.png"), "rb").read(),
        "photos/squares.gif": open(os.path.join(SAMPLES, "rotating-squares.gif"), "rb").read(),
    }
    originals["photos/astronaut.jpg"] = open(os.path.join(REPO, "handler", "tests", "fixtures", "faces",
                                                          "astronaut.jpg"), "rb").read()
    originals["photos/noise.png"], noise_raw = noise_png()
    originals["photos/grain.avif"] = film_grain_avif(True)
    originals["photos/plain.avif"] = film_grain_avif(False)
    for key, data in originals.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data)
    # Values that exist nowhere but in the secret.
    token = "secret-only-token-" + uuid.uuid4().hex
    origin = "origin-" + uuid.uuid4().hex
    secret = {"writeTokens": token, "originSecret": origin}
    # The stage's secret under the name the stack gives (a reference to a secret the stack
    # creates resolves to a fresh name).
    secrets_id = template_env.get("IMAGE_SERVICE_SECRETS_ID")
    secret_name = secrets_id if isinstance(secrets_id, str) else f"image-service/test-{uuid.uuid4().hex[:8]}"
    try:
        sm.create_secret(Name=secret_name, SecretString=json.dumps(secret))
    except sm.exceptions.ResourceExistsException:  # a moto shared with an earlier run
        sm.put_secret_value(SecretId=secret_name, SecretString=json.dumps(secret))
    resolver = Resolver(template, a.region, bucket, secret_name, secret, make_bucket)
    stack_env = {k: resolver.value(v) for k, v in template_env.items()}
    uses_secret = "IMAGE_SERVICE_SECRETS_ID" in stack_env

    now = datetime.now(timezone.utc)
    env = {
        # What the Lambda service sets for a provided.al2023 function.
        "_HANDLER": "bootstrap",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_REGION": a.region,
        "AWS_DEFAULT_REGION": a.region,
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": memory,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{now:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
        "AWS_ACCESS_KEY_ID": "ASIATESTING", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
        # Only here: the AWS SDK's standard endpoint variable points S3 and Secrets Manager at moto.
        "AWS_ENDPOINT_URL": a.s3_endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.update(stack_env)

    print(f"function: {len(stack_env)} variables from the template ({', '.join(sorted(stack_env))}); "
          f"memory {memory} MB, timeout {timeout:g} s; bucket s3://{bucket}; secret {secret_name}"
          f"{'' if uses_secret else ' (the template sets no IMAGE_SERVICE_SECRETS_ID: tokens come from its dynamic references)'}",
          flush=True)

    # --- the sandbox itself: read-only task root, writable /tmp only
    probe = subprocess.run(sandbox(a.task_root, {"PATH": "/usr/bin:/bin"}, ["sh", "-c",
                           "touch /tmp/w && ! touch /var/task/w 2>/dev/null && ! touch /w 2>/dev/null "
                           "&& ! touch /var/w 2>/dev/null && test -x /var/task/bootstrap "
                           "&& ls /var/task/assets/watermarks | grep -q png"]), capture_output=True)
    check("sandbox: /var/task holds bootstrap + watermarks read-only, only /tmp is writable",
          probe.returncode == 0, probe.stderr.decode()[-300:])

    runtime_api_streaming_self_test(a.region)

    # --- native init, for comparison
    native_init = None
    native_grain = None
    if a.native:
        # The same layout as the package: the x86 binary as bootstrap, the same watermarks
        # and presets file.
        native_root = os.path.join(a.work, "native-task")
        shutil.copytree(os.path.join(a.task_root, "assets"), os.path.join(native_root, "assets"))
        if os.path.exists(os.path.join(a.task_root, "presets.json")):
            shutil.copy2(os.path.join(a.task_root, "presets.json"), os.path.join(native_root, "presets.json"))
        try:
            os.link(a.native, os.path.join(native_root, "bootstrap"))
        except OSError:
            shutil.copy2(a.native, os.path.join(native_root, "bootstrap"))
        f = Function("native", native_root, env, ["/var/task/bootstrap"], a.region, timeout,
                     os.path.join(a.work, "native.log"))
        try:
            native_init = f.wait_init(60)
            ok = native_init is not None
            if ok:
                r = f.invoke(rest_event("GET", "/_/health", headers=[("X-Origin-Verify", origin)]))
                ok = r.status == 200
                g = f.invoke(rest_event("GET", "photos/grain.avif", [("fm", "png")], [("X-Origin-Verify", origin)]))
                native_grain = g.body if g.status == 200 else None
            check("native x86-64 binary starts and answers health", ok,
                  open(os.path.join(a.work, "native.log"), errors="replace").read()[-500:])
        finally:
            f.stop()

    # --- the package under emulation
    emulated_log = os.path.join(a.work, "bootstrap.log")
    # The emulator's own setting: where qemu finds the aarch64 loader and libc (the
    # decoder child, started through binfmt_misc, inherits it).
    emulated_env = dict(env, QEMU_LD_PREFIX=os.environ.get("QEMU_LD_PREFIX", "/usr/aarch64-linux-gnu"))
    f = Function("emulated", a.task_root, emulated_env, [a.qemu, "/var/task/bootstrap"], a.region, timeout,
                 emulated_log)
    try:
        emulated_init = f.wait_init(120)
        if not check("bootstrap (arm64 under qemu) initialises and polls /invocation/next",
                     emulated_init is not None and f.api.init_error is None,
                     f"init error {f.api.init_error.body[:300]!r}" if f.api.init_error else
                     open(emulated_log, errors="replace").read()[-1500:]):
            return finish(native_init, emulated_init)
        run_checks(f, originals, token, origin, uses_secret, stack_env, native_grain, noise_raw)
        unread = [a for a in f.answers if not a.streamed or a.problem]
        check(f"every answer ({len(f.answers)}) was streamed (response mode streaming, chunked) and reads as "
              "API Gateway reads a stream (prelude, 8 NUL bytes, body)", bool(f.answers) and not unread,
              "; ".join(repr(a) for a in unread[:3]))
        check("the function process is still running (no crash)", f.proc.poll() is None)
        check("Runtime API saw no unknown request ids", not f.api.protocol_errors, "; ".join(f.api.protocol_errors))
    finally:
        f.stop()
    check_logs(emulated_log, f.api.request_ids, env.get("IMAGE_SERVICE_METRICS_NAMESPACE"))
    if failed:
        print("--- last lines of the bootstrap's log ---")
        print(open(emulated_log, errors="replace").read()[-3000:])
    return finish(native_init, emulated_init)


def json_lines(path: str) -> list:
    out = []
    for line in open(path, errors="replace"):
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def find_key(obj, key):
    """Values of `key` anywhere in a JSON object (tracing nests fields)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key:
                yield v
            yield from find_key(v, key)
    elif isinstance(obj, list):
        for v in obj:
            yield from find_key(v, key)


def check_logs(path: str, request_ids: list[str], namespace: str | None) -> None:
    """The per-request log line and the EMF metrics line (issue 14 contract) in CloudWatch's
    view of the function: its stdout/stderr."""
    lines = json_lines(path)
    logged = {v for line in lines for v in find_key(line, "request_id") if isinstance(v, str)}
    missing = [r for r in request_ids if r not in logged]
    check(f"one JSON log line per invocation carries Lambda's request id ({len(request_ids)} invocations)",
          bool(request_ids) and not missing, f"{len(missing)} without a line, e.g. {missing[:2]}")
    # "Bearer " with anything but the placeholder our messages name (`Bearer <token>`).
    leaked = [line for line in lines if re.search(r"Bearer (?!<token>)", json.dumps(line))
              or "secret-only-token-" in json.dumps(line)]
    check("no log line holds a token", not leaked, json.dumps(leaked[:1])[:300])
    if namespace:
        emf = [line for line in lines if isinstance(line.get("_aws"), dict)]
        spaces = {d.get("Namespace") for line in emf for d in line["_aws"].get("CloudWatchMetrics", [])}
        check(f"EMF metric lines under the stack's namespace {namespace}",
              len(emf) >= len(request_ids) > 0 and spaces == {namespace}, f"{len(emf)} lines, namespaces {spaces}")


def finish(native_init, emulated_init) -> int:
    def ms(s):
        return "n/a" if s is None else f"{s * 1000:.0f} ms"
    print(f"init duration (process start -> first /invocation/next): native x86-64 {ms(native_init)}, "
          f"arm64 package under qemu {ms(emulated_init)}", flush=True)
    print(f"emulated-Lambda suite: {time.monotonic() - STARTED:.0f} s", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


def film_grain_avif(grain: bool) -> bytes:
    """A photo as AVIF (libaom through Pillow's libavif), with AV1 film grain parameters
    (libaom's grain test vector 1) or without: decoding the grain one runs rav1d's
    film-grain assembly, which reads its parameters at the offsets of our asm-offsets.h."""
    out = io.BytesIO()
    with Image.open(os.path.join(SAMPLES, "Landscape_6.jpg")) as im:
        im.convert("RGB").save(out, "AVIF", quality=70, codec="aom",
                               advanced={"film-grain-test": "1" if grain else "0"})
    return out.getvalue()


def pixel_diff(a: bytes, b) -> tuple[float, int] | None:
    """Mean and max absolute difference of two images' RGB samples (b: bytes or an Image)."""
    try:
        with Image.open(io.BytesIO(a)) as x:
            x = x.convert("RGB")
            y = (Image.open(io.BytesIO(b)) if isinstance(b, bytes) else b).convert("RGB")
            if x.size != y.size:
                return None
            xs, ys = x.tobytes(), y.tobytes()
            diffs = [abs(p - q) for p, q in zip(xs, ys)]
            return sum(diffs) / len(diffs), max(diffs)
    except Exception:  # noqa: BLE001
        return None


NOISE_SIDE = 1000  # a 1000 x 1000 RGB noise PNG (~3 MB: noise does not compress)
LARGE_EX = 800  # ex=800 around it as an uncompressed TIFF: 2600 x 2600 x 3 = 20.3 MB


def noise_png() -> tuple[bytes, bytes]:
    """A PNG of random RGB pixels, and those pixels: every byte value, NUL runs included."""
    raw = os.urandom(NOISE_SIDE * NOISE_SIDE * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (NOISE_SIDE, NOISE_SIDE), raw).save(out, "PNG", compress_level=1)
    return out.getvalue(), raw


def large_result_problem(body: bytes, content_length: str | None, noise_raw: bytes) -> str:
    """Why `body` is not the whole large result ("" when it is): Content-Length, a TIFF of
    the extended size, and the noise pixels exact inside the margin."""
    side = NOISE_SIDE + 2 * LARGE_EX
    if content_length is not None and int(content_length) != len(body):
        return f"Content-Length {content_length}, {len(body)} bytes arrived"
    try:
        with Image.open(io.BytesIO(body)) as im:
            im.load()
            if im.format != "TIFF" or im.size != (side, side):
                return f"{im.format} {im.size}, expected TIFF {side}x{side}"
            inner = im.convert("RGB").crop((LARGE_EX, LARGE_EX, LARGE_EX + NOISE_SIDE, LARGE_EX + NOISE_SIDE))
            if inner.tobytes() != noise_raw:
                return "the original's pixels differ inside the margin"
    except Exception as e:  # noqa: BLE001 - any decoder failure is the finding
        return f"Pillow cannot decode it: {e}"
    return ""


def large_output(get, env: dict, noise_raw: bytes) -> None:
    """Past the 6 MB a buffered Lambda answer can hold: a ~20 MB result, streamed."""
    limit = env.get("IMAGE_SERVICE_MAX_OUTPUT_BYTES")
    check(f"the stack's output ceiling is Lambda's streaming limit (IMAGE_SERVICE_MAX_OUTPUT_BYTES={limit})",
          limit == "199000000")
    r = get("photos/noise.png", [("ex", str(LARGE_EX)), ("fm", "tiff")])
    problem = repr(r)
    if r.status == 200 and r.streamed and r.headers.get("content-type") == "image/tiff":
        problem = large_result_problem(r.body, r.headers.get("content-length"), noise_raw)
    o = r.outcome
    check(f"a {len(r.body) / 1e6:.1f} MB result (over 6 MB) streams whole: Content-Length, TIFF "
          f"{NOISE_SIDE + 2 * LARGE_EX}x{NOISE_SIDE + 2 * LARGE_EX}, the noise pixels exact "
          f"({o.chunks} chunks; first byte after {o.first_byte_seconds or 0:.2f} s, whole after {o.seconds:.2f} s "
          "under qemu)", not problem, problem)
    if not problem:
        other = bytearray(noise_raw)
        other[len(other) // 2] ^= 0xFF
        nulls = [large_result_problem(r.body[:-1], r.headers.get("content-length"), noise_raw),
                 large_result_problem(r.body[:len(r.body) // 2], None, noise_raw),
                 large_result_problem(r.body, None, bytes(other))]
        check("that check fails for the body one byte short (against Content-Length), cut in half, "
              "and against pixels with one byte changed", all(nulls), repr(nulls))
    print(f"largest result served: {len(r.body)} bytes", flush=True)


def run_checks(f: Function, originals: dict, token: str, origin: str, uses_secret: bool, env: dict,
               native_grain: bytes | None, noise_raw: bytes) -> None:
    cf = [("X-Origin-Verify", origin)]  # CloudFront's origin custom header
    auth = cf + [("Authorization", f"Bearer {token}")]

    def get(key, query=None, headers=None):
        return f.invoke(rest_event("GET", key, query, cf + list(headers or [])))

    # list
    list_headers = auth if env.get("IMAGE_SERVICE_LIST_REQUIRES_TOKEN") == "true" else cf
    r = f.invoke(rest_event("GET", "/", [("prefix", "photos/")], list_headers))
    keys = [o.get("Key") for o in (r.json() or [])] if r.status == 200 else []
    check("GET / lists the originals (JSON, S3 field names)",
          r.status == 200 and sorted(keys) == sorted(originals), repr(r))

    # an original, byte for byte
    r = get("photos/landscape.jpg")
    check("GET an original: 200 image/jpeg, streamed body identical to the stored bytes",
          r.status == 200 and r.streamed and r.headers.get("content-type") == "image/jpeg"
          and r.body == originals["photos/landscape.jpg"], repr(r))

    # a transform to each output format
    outputs = {}
    for fmt in ("jpeg", "png", "webp", "avif", "gif", "tiff"):
        r = get("photos/landscape.jpg", [("w", "240"), ("fm", fmt)])
        ok, what = (False, repr(r))
        if r.status == 200 and r.streamed and r.headers.get("content-type") == CONTENT_TYPES[fmt]:
            ok, what = decodes_as(r.body, fmt)
            ok = ok and what.startswith("240x")
        check(f"transform to {fmt}: 200 {CONTENT_TYPES[fmt]}, streamed, decodes at w=240 ({what})", ok,
              what if not ok else "")
        outputs[fmt] = r.body if ok else None

    # the result cache: the stack points it at a bucket of its own, and the same transform
    # asked again is answered from there (a miss above, a hit now) with the same bytes
    results_spec = env.get("IMAGE_SERVICE_RESULT_CACHE", "")
    check("the result cache is a bucket of its own (IMAGE_SERVICE_RESULT_CACHE)",
          results_spec.startswith("s3://") and results_spec != env.get("IMAGE_SERVICE_STORE"),
          f"{results_spec!r} vs store {env.get('IMAGE_SERVICE_STORE')!r}")
    r = get("photos/landscape.jpg", [("w", "240"), ("fm", "webp")])
    check("a repeated transform is a result-cache hit with the same bytes",
          r.status == 200 and r.headers.get("x-result-cache") == "hit"
          and outputs["webp"] is not None and r.body == outputs["webp"], repr(r))

    # fm=auto with a preset (IMAGE_SERVICE_PRESETS is the packaged presets.json): Chrome's
    # Accept gets AVIF with Vary: Accept, the edge function's `other` class a JPEG
    chrome = [("Accept", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8")]
    r = get("photos/landscape.jpg", [("preset", "thumb"), ("fm", "auto")], chrome)
    check("preset=thumb&fm=auto with Chrome's Accept: 200 image/avif (ftyp avif) with Vary: Accept",
          r.status == 200 and r.headers.get("content-type") == "image/avif" and r.body[4:12] == b"ftypavif"
          and "accept" in r.headers.get("vary", "").lower(), repr(r))
    r = get("photos/landscape.jpg", [("preset", "thumb"), ("fm", "auto")], [("x-image-accept", "other")])
    size = image_size(r.body) if r.status == 200 else None
    check("the same URL with x-image-accept: other: a 200x200 JPEG",
          r.status == 200 and r.headers.get("content-type") == "image/jpeg" and size == (200, 200),
          f"{r!r} {size}")

    insight_checks(get)
    console_checks(f, cf, auth, env)

    # AVIF input: decoded by the child process the binary re-executes (arm64 again, via binfmt_misc)
    if outputs["avif"]:
        body, ctype = multipart([("input.avif", outputs["avif"], "image/avif")])
        r = f.invoke(rest_event("POST", "avif-in", headers=auth + [("Content-Type", ctype)], body=body))
        uploaded = r.status == 200
        r = get("avif-in/input.avif", [("w", "120"), ("fm", "png")]) if uploaded else r
        size = image_size(r.body) if r.status == 200 else None
        check("AVIF input (decoded in the isolated child process) -> png w=120",
              uploaded and r.status == 200 and size is not None and size[0] == 120, repr(r))
    else:
        check("AVIF input (decoded in the isolated child process)", False, "no AVIF output to feed back")

    # AV1 film grain: rav1d's NEON film-grain code reads its parameters at our header's offsets
    r = get("photos/grain.avif", [("fm", "png")])
    plain = get("photos/plain.avif", [("fm", "png")])
    grain = pixel_diff(r.body, plain.body) if r.status == 200 and plain.status == 200 else None
    check(f"film-grain AVIF: the grain is synthesized (mean/max diff to the same encode without grain {grain})",
          grain is not None and 0.5 < grain[0] < 10, f"{r!r} / {plain!r}")
    if native_grain is not None:
        same = pixel_diff(r.body, native_grain) if r.status == 200 else None
        check(f"film-grain AVIF: the arm64 package decodes it as the x86-64 binary does (mean/max diff {same})",
              same is not None and same[0] < 0.05 and same[1] <= 2, repr(r))
    else:
        check("film-grain AVIF: compared with the x86-64 binary's decode", False,
              "no native image-service-lambda to compare with (build the workspace first)")

    # watermark
    watermarks = sorted(os.listdir(os.path.join(REPO, "assets", "watermarks")))
    wm = next((w for w in watermarks if w.endswith(".png")), None)
    plain = get("photos/landscape.jpg", [("w", "300"), ("fm", "png")])
    r = get("photos/landscape.jpg", [("w", "300"), ("fm", "png"), ("wm", wm or "")])
    check(f"watermark wm={wm} from /var/task/assets/watermarks: 200 png, differs from the plain transform",
          r.status == 200 and plain.status == 200 and image_size(r.body) == image_size(plain.body)
          and r.body != plain.body, f"{r!r} vs {plain!r}")

    # upload, repeated upload, delete
    name = f"upload-{uuid.uuid4().hex[:8]}.png"
    data = originals["photos/bug.png"]
    body, ctype = multipart([(name, data, "image/png")])
    r = f.invoke(rest_event("POST", "uploads", headers=auth + [("Content-Type", ctype)], body=body))
    j = r.json() or {}
    check("upload (multipart, base64 event body) with a token that exists only in the secret: 200",
          r.status == 200 and j.get("code") == "success", repr(r))
    r = get(f"uploads/{name}")
    check("the upload reads back byte for byte", r.status == 200 and r.body == data, repr(r))
    first_etags = j.get("ETags")
    r = f.invoke(rest_event("POST", "uploads", headers=auth + [("Content-Type", ctype)], body=body))
    check("the same upload again (a retry, same bytes): 200 with the first answer's ETags",
          r.status == 200 and (r.json() or {}).get("ETags") == first_etags and first_etags, repr(r))
    other = open(os.path.join(SAMPLES, "Flag_of_the_Netherlands-16bit.png"), "rb").read()
    other_body, other_ctype = multipart([(name, other, "image/png")])
    r = f.invoke(rest_event("POST", "uploads", headers=auth + [("Content-Type", other_ctype)], body=other_body))
    check("other bytes under the same name: 409 already-exists",
          r.status == 409 and (r.json() or {}).get("code") == "already-exists", repr(r))
    r = get(f"uploads/{name}")
    check("nothing was overwritten", r.status == 200 and r.body == data, repr(r))
    r = f.invoke(rest_event("DELETE", "uploads", headers=auth + [("Content-Type", "application/json")],
                            body=json.dumps({"images": [name]}).encode()))
    check("delete: 200", r.status == 200 and (r.json() or {}).get("code") == "success", repr(r))
    r = get(f"uploads/{name}")
    check("the deleted image is gone: 404 not-found", r.status == 404, repr(r))

    # errors
    r = get("photos/landscape.jpg", [("w", "-5")])
    j = r.json() or {}
    check("bad parameter: 400 JSON invalid-parameter naming 'w'",
          r.status == 400 and j.get("code") == "invalid-parameter" and j.get("status") == 400
          and "'w'" in (j.get("message") or "") and r.headers.get("content-type", "").startswith("application/json"),
          repr(r))
    r = f.invoke(rest_event("POST", "uploads", headers=cf + [("Content-Type", ctype),
                                                             ("Authorization", "Bearer not-a-token")], body=body))
    check("a token that is not in the secret: 403 invalid-token",
          r.status == 403 and (r.json() or {}).get("code") == "invalid-token", repr(r))
    large_output(get, env, noise_raw)

    # secrets and the origin header (issue 14: the stack names a Secrets Manager secret,
    # the function reads it at init; CloudFront sends its originSecret)
    if not check("the stack gives the function IMAGE_SERVICE_SECRETS_ID (secrets are read from Secrets Manager)",
                 uses_secret, ", ".join(sorted(env))):
        return
    check("the function's environment holds no write token, signing key or origin secret",
          "IMAGE_SERVICE_WRITE_TOKENS" not in env and "IMAGE_SERVICE_SIGNING_KEYS" not in env
          and token not in json.dumps(env) and origin not in json.dumps(env), ", ".join(sorted(env)))
    r = f.invoke(rest_event("GET", "photos/bug.png"))
    check("without X-Origin-Verify (not through CloudFront): 403 forbidden-origin",
          r.status == 403 and (r.json() or {}).get("code") == "forbidden-origin", repr(r))
    r = f.invoke(rest_event("GET", "photos/bug.png", headers=[("X-Origin-Verify", "wrong-" + origin)]))
    check("a wrong X-Origin-Verify: 403 forbidden-origin",
          r.status == 403 and (r.json() or {}).get("code") == "forbidden-origin", repr(r))
    r = get("photos/bug.png")
    check("with the origin secret read from Secrets Manager: 200", r.status == 200, repr(r))


def insight_checks(get) -> None:
    """Issue 18 on the package: metadata, placeholders, q=auto and p=face, each through
    the arm64 build (its SIMD paths differ from the x86-64 tests')."""
    r = get("photos/landscape.jpg", [("fm", "json"), ("w", "240")])
    j = r.json() if r.status == 200 else None
    check("fm=json&w=240: 200 application/json describing a 240 px wide JPEG, with a dominant colour",
          r.status == 200 and r.headers.get("content-type", "").startswith("application/json")
          and isinstance(j, dict) and j.get("format") == "jpeg" and j.get("width") == 240
          and re.fullmatch(r"#[0-9a-f]{6}", str(j.get("dominant_colour"))) is not None, repr(r))
    r = get("photos/landscape.jpg", [("fm", "thumbhash")])
    check("fm=thumbhash: 200 text/plain, a base64 ThumbHash",
          r.status == 200 and r.headers.get("content-type", "").startswith("text/plain")
          and re.fullmatch(rb"[A-Za-z0-9+/]{20,}=*", r.body) is not None, repr(r))
    r = get("photos/landscape.jpg", [("fm", "blurhash"), ("bhc", "5x4")])
    check("fm=blurhash&bhc=5x4: 200 text/plain, a 44-character BlurHash",
          r.status == 200 and r.headers.get("content-type", "").startswith("text/plain")
          and len(r.body) == 44, repr(r))
    r = get("photos/landscape.jpg", [("w", "240"), ("fm", "webp"), ("q", "auto")])
    quality = r.headers.get("x-image-quality", "")
    check(f"q=auto&fm=webp: 200 image/webp with X-Image-Quality naming the choice ({quality!r})",
          r.status == 200 and r.headers.get("content-type") == "image/webp" and "; auto" in quality, repr(r))
    # A wide crop of the square portrait, so there is something to place (a square crop of a
    # square image needs no strategy and says none).
    r = get("photos/astronaut.jpg", [("w", "200"), ("h", "100"), ("p", "face")])
    check("p=face on a portrait: 200x100 with X-Image-Crop: face (the embedded detector runs on arm64)",
          r.status == 200 and image_size(r.body) == (200, 100) and r.headers.get("x-image-crop") == "face",
          f"{r!r} X-Image-Crop {r.headers.get('x-image-crop')!r}")


def console_checks(f: Function, cf: list, auth: list, env: dict) -> None:
    """Issue 19 on the package: the console's page, parameter table and signing endpoint
    answer as the stage setting says (the checked-in dev stage leaves it off, so off must
    mean 404; the page itself runs on the Lambda binary in bin/test-console)."""
    on = env.get("IMAGE_SERVICE_CONSOLE") == "on"
    r = f.invoke(rest_event("GET", "_/console/", headers=cf))
    if not on:
        check("console off (IMAGE_SERVICE_CONSOLE=off): /_/console/ is 404", r.status == 404, repr(r))
        r = f.invoke(rest_event("GET", "_/params", headers=cf))
        check("console off: /_/params is 404", r.status == 404, repr(r))
        body = json.dumps({"paths": ["/photos/bug.png?w=100"]}).encode()
        r = f.invoke(rest_event("POST", "_/sign", headers=auth + [("Content-Type", "application/json")], body=body))
        check("console off: POST /_/sign is 404 even with the write token", r.status == 404, repr(r))
        return
    check("console on: /_/console/ is 200 text/html with a self-only CSP and no-store",
          r.status == 200 and r.headers.get("content-type", "").startswith("text/html")
          and "script-src 'self'" in r.headers.get("content-security-policy", "")
          and "no-store" in r.headers.get("cache-control", ""), repr(r))
    r = f.invoke(rest_event("GET", "_/params", headers=cf))
    keys = [k.get("name") for k in (r.json() or {}).get("keys", [])] if r.status == 200 else []
    check("GET /_/params: the key table as JSON (w, fm, bhc among its keys)",
          {"w", "fm", "bhc"} <= set(keys), repr(r))
    body = json.dumps({"paths": ["/photos/bug.png?w=100"]}).encode()
    r = f.invoke(rest_event("POST", "_/sign", headers=cf + [("Content-Type", "application/json")], body=body))
    check("POST /_/sign without the write token: 401", r.status == 401, repr(r))
    r = f.invoke(rest_event("POST", "_/sign", headers=auth + [("Content-Type", "application/json")], body=body))
    check("POST /_/sign with the write token: 200 JSON", r.status == 200 and r.json() is not None, repr(r))


if __name__ == "__main__":
    sys.exit(main())
