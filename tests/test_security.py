"""A service many teams can share (issue 14): tenant isolation on every route, roles,
keys that die at once on every replica, quotas shared by replicas, outbound requests
only where the operator allows, metrics behind a token, bounds on every input.

The route lists are read from the served OpenAPI document, so a route added later is
covered (or the test says what it needs) without editing this file's loops.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from service.testing import stack

from support import (
    ADMIN_KEY,
    KEYS,
    METRICS_TOKEN,
    ROOT,
    Api,
    Fake,
    LocalApi,
    Receiver,
    Workers,
    responses_spec,
    wait_for,
)

PROBLEM = "application/problem+json"
ROLES = ("admin", "submit", "read", "review")

# The roles each operation must admit, as the issue states them: admin sees and manages
# every tenant; submit submits and reads its tenant's jobs; read only reads; review only
# the spot-check of its tenant. An operation missing here fails the first test below.
EXPECTED_ROLES: dict[str, set[str]] = {
    **{op: {"admin", "submit"} for op in ("createJob", "estimateJob", "cancelJob", "deleteJob", "pushJob",
                                          "createReviewLink", "getWebhookSecret", "rotateWebhookSecret")},
    **{op: {"admin", "submit", "read"} for op in ("listJobs", "getJob", "getJobSpec", "listJobRecords", "exportJob",
                                                  "listJobRejects", "getJobReport", "compareJobs", "getJobEstimate",
                                                  "getJobWebhook",
                                                  "listRecipes",
                                                  "listProviders", "listBenchmarks")},
    **{op: {"admin", "submit", "review"} for op in ("createSpotCheck", "putSpotCheckVerdict")},
    **{op: set(ROLES) for op in ("getSpotCheck", "exportSpotCheck", "getReviewSession")},
    **{op: {"admin"} for op in ("createKey", "listKeys", "getKey", "revokeKey", "rotateKey", "getTenantQuotas",
                                "setTenantQuotas", "metrics")},
}
PUBLIC = {"healthz", "readyz", "reviewPage", "createReviewSession", "deleteReviewSession"}
# A valid body for each operation that takes one.
BODIES: dict[str, Any] = {
    "createJob": responses_spec(1),
    "pushJob": {"repo_id": "org/name"},
    "estimateJob": responses_spec(1),
    "createSpotCheck": {"size": 3},
    "putSpotCheckVerdict": {"verdict": "accept", "reviewer": "Ada"},
    "createReviewLink": {"expires_in": 600},
    "createKey": {"tenant": "alice", "role": "read"},
    "rotateKey": {"grace_seconds": 0},
    "setTenantQuotas": {"limits": {}},
    "createReviewSession": {"using": "key", "key": "x"},
}


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method.upper(), op) for path, item in doc["paths"].items() for method, op in item.items()
            if isinstance(op, dict) and "operationId" in op]


def declared_roles(op: dict[str, Any], schemes: tuple[str, ...] = ("bearer", "reviewSession")) -> set[str] | None:
    """The roles an operation's security requirement names (None: public)."""
    if op.get("security") == []:
        return None
    return {r for req in op["security"] for scheme, roles in req.items() if scheme in schemes for r in roles}


def call(client: Any, method: str, path: str, op: dict[str, Any], values: dict[str, str],
         headers: dict[str, str] | None = None) -> httpx.Response:
    url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
    kw: dict[str, Any] = {"headers": headers or {}}
    if "requestBody" in op:
        if op["operationId"] not in BODIES:
            pytest.fail(f"{op['operationId']} takes a body: add a valid one to BODIES")
        kw["json"] = BODIES[op["operationId"]]
    return client.request(method, url, **kw)


def for_op(op: dict[str, Any], values: dict[str, str], owner: Api) -> dict[str, str]:
    """The path values for `op`: deleteJob gets a finished job of its own (a call that
    passes deletes it, and the routes after it still need theirs)."""
    if op["operationId"] != "deleteJob":
        return values
    return {**values, "job_id": owner.wait(owner.submit(responses_spec(1)).json()["id"])["id"]}


def problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text[:400])
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    return r.json()


def new_key(admin: Api, tenant: str, role: str, **extra: Any) -> tuple[str, str]:
    r = admin.client.post("/v1/admin/keys", json={"tenant": tenant, "role": role, **extra})
    assert r.status_code == 201, r.text
    return r.json()["key"], r.json()["id"]


def session(client: Any, **credential: str) -> dict[str, str]:
    """Sign in to the review page: the headers the page sends (its cookie and CSRF
    token). The client's own cookie jar is left empty."""
    r = client.post("/review/session", json=credential)
    assert r.status_code == 200, r.text
    token = r.cookies["sg_review"]
    client.cookies.clear()
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    return {"Cookie": f"sg_review={token}", "X-CSRF-Token": r.json()["csrf_token"]}


# -- roles -------------------------------------------------------------------------------


def test_every_operation_declares_the_roles_the_issue_gives_it(local: LocalApi) -> None:
    doc = local.client.get("/docs/openapi.json").json()
    seen = {}
    for _, _, op in operations(doc):
        roles = declared_roles(op)
        if roles is None:
            assert op["operationId"] in PUBLIC, f"{op['operationId']} is public: say so in PUBLIC, or give it roles"
            continue
        seen[op["operationId"]] = roles
        if roles != set(ROLES) and declared_roles(op, ("bearer",)):
            assert "403" in op["responses"], op["operationId"]
    assert seen == EXPECTED_ROLES


def test_each_role_is_refused_what_it_may_not_do(local: LocalApi, local_service: Any, fake: Fake) -> None:
    client, worker = local_service
    admin = LocalApi(client, ADMIN_KEY, worker)
    keys = {"admin": ADMIN_KEY, "submit": KEYS["alice"]}
    for role in ("read", "review"):
        keys[role], _ = new_key(admin, "alice", role)
    _, some_key_id = new_key(admin, "alice", "read")
    job = local.wait(local.submit(responses_spec(4)).json()["id"])
    sample = local.client.post(f"/v1/jobs/{job['id']}/spotcheck", json={"size": 3}).json()
    values = {"job_id": job["id"], "record_id": sample["items"][0]["record"]["id"], "key_id": some_key_id,
              "tenant": "alice"}
    doc = local.client.get("/docs/openapi.json").json()
    refused = 0
    for path, method, op in operations(doc):
        allowed = declared_roles(op, ("bearer",))
        if not allowed:  # public, or the review session's own route
            continue
        for role in set(ROLES) - allowed:
            r = call(client, method, path, op, values, {"Authorization": f"Bearer {keys[role]}"})
            assert problem(r, 403)["type"].endswith("/forbidden"), (op["operationId"], role)
            refused += 1
        for role in allowed:  # and each admitted role passes the guard
            r = call(client, method, path, op, for_op(op, values, local), {"Authorization": f"Bearer {keys[role]}"})
            assert r.status_code not in (401, 403), (op["operationId"], role, r.text[:300])
            if op["operationId"] == "rotateKey" and r.status_code == 201:
                values["key_id"] = r.json()["id"]
    assert refused >= 40
    # what the roles mean, spelled out: read cannot submit, review cannot read jobs
    read = LocalApi(client, keys["read"], worker)
    assert problem(read.submit(responses_spec(1)), 403)["detail"].startswith("a read key may not do this")
    review = LocalApi(client, keys["review"], worker)
    assert review.client.get(f"/v1/jobs/{job['id']}").status_code == 403
    assert review.client.get(f"/v1/jobs/{job['id']}/spotcheck").status_code == 200
    # a bearer that is no key at all is a 401, whatever the route
    assert problem(client.get("/v1/jobs", headers={"Authorization": "Bearer nope"}), 401)


def test_admin_sees_and_manages_every_tenant(local: LocalApi, local_bob: LocalApi, local_service: Any) -> None:
    client, worker = local_service
    admin = LocalApi(client, ADMIN_KEY, worker)
    job_id = local.submit(responses_spec(2)).json()["id"]
    assert admin.client.get(f"/v1/jobs/{job_id}").status_code == 200
    listed = admin.client.get("/v1/jobs", params={"tenant": "alice", "limit": 500}).json()["data"]
    assert job_id in {j["id"] for j in listed}
    assert job_id not in {j["id"] for j in admin.client.get("/v1/jobs").json()["data"]}  # its own tenant by default
    assert problem(local_bob.client.get("/v1/jobs", params={"tenant": "alice"}), 403)
    assert admin.client.post(f"/v1/jobs/{job_id}/cancel").status_code == 200
    assert local.job(job_id)["status"] == "cancelled"


# -- isolation ----------------------------------------------------------------------------


def test_another_tenants_job_is_a_404_on_every_route(local: LocalApi, local_bob: LocalApi, local_service: Any,
                                                     fake: Fake) -> None:
    """Bob, with every kind of credential he can hold (his submit key, a read key, a
    review key, a review session), gets 404 from every route that takes a job id when
    the id is Alice's, and the same routes answer Alice; cursors do not cross tenants
    or jobs; a review link reaches its one job only."""
    client, worker = local_service
    admin = LocalApi(client, ADMIN_KEY, worker)
    receiver = Receiver()
    try:
        spec = responses_spec(6, webhook={"url": receiver.url + "/hook"})
        job_id = local.wait(local.submit(spec).json()["id"])["id"]
        other = local.wait(local.submit(responses_spec(4)).json()["id"])["id"]
        record_id = local.client.post(f"/v1/jobs/{job_id}/spotcheck", json={"size": 3}).json()["items"][0]["record"]["id"]
        bob_job = local_bob.wait(local_bob.submit(responses_spec(3)).json()["id"])["id"]
        read_key, _ = new_key(admin, "bob", "read")
        review_key, _ = new_key(admin, "bob", "review")
        bob = {"submit": {"Authorization": f"Bearer {KEYS['bob']}"},
               "read": {"Authorization": f"Bearer {read_key}"},
               "review": {"Authorization": f"Bearer {review_key}"}}
        reviewing = session(client, using="key", key=review_key)
        doc = client.get("/docs/openapi.json").json()
        job_ops = [(p, m, op) for p, m, op in operations(doc) if "{job_id}" in p]
        assert len(job_ops) >= 12, [op["operationId"] for _, _, op in job_ops]
        values = {"job_id": job_id, "record_id": record_id}
        tried = 0
        for path, method, op in job_ops:
            roles = declared_roles(op, ("bearer",)) or set()
            sessions = any("reviewSession" in req for req in op.get("security", []))
            creds = [h for role, h in bob.items() if role in roles] + ([reviewing] if sessions else [])
            assert creds, op["operationId"]
            v = for_op(op, values, local)
            for headers in creds:
                r = call(client, method, path, op, v, headers)
                body = problem(r, 404)
                assert v["job_id"] not in json.dumps({k: x for k, x in body.items() if k != "instance"})
                tried += 1
            owner = call(client, method, path, op, v, {"Authorization": f"Bearer {KEYS['alice']}"})
            assert owner.status_code < 400 or owner.status_code == 409, (op["operationId"], owner.text[:300])
        assert tried >= 25
        # bob's own lists never show alice's jobs
        listed = local_bob.client.get("/v1/jobs", params={"limit": 500}).json()["data"]
        assert not {job_id, other} & {j["id"] for j in listed}
        # cursors: alice's list cursor, and her records cursor, are nobody else's
        page = local.client.get("/v1/jobs", params={"limit": 1}).json()
        assert page["next_cursor"]
        assert problem(local_bob.client.get("/v1/jobs", params={"cursor": page["next_cursor"]}), 404)
        r = local.client.get(f"/v1/jobs/{job_id}/records", params={"limit": 2})
        cursor = r.headers["x-next-cursor"]
        assert cursor and local.client.get(f"/v1/jobs/{job_id}/records", params={"cursor": cursor}).status_code == 200
        assert problem(local_bob.client.get(f"/v1/jobs/{bob_job}/records", params={"cursor": cursor}), 404)
        assert problem(local.client.get(f"/v1/jobs/{other}/records", params={"cursor": cursor}), 404)
        assert problem(local.client.get(f"/v1/jobs/{job_id}/rejects", params={"cursor": cursor}), 404)
        # a review link opens its one job: another of alice's jobs is a 404 for it
        link = local.client.post(f"/v1/jobs/{job_id}/review-links", json={}).json()
        token = link["url"].split("#link=")[1]
        linked = session(client, using="link", link=token)
        assert client.get(f"/v1/jobs/{job_id}/spotcheck", headers=linked).status_code == 200
        assert problem(client.get(f"/v1/jobs/{other}/spotcheck", headers=linked), 404)
        assert problem(client.get(f"/v1/jobs/{job_id}", headers=linked), 401)  # a session only opens the spot-check
    finally:
        receiver.close()


# -- keys on two replicas -------------------------------------------------------------------


@pytest.fixture(scope="module")
def replicas(api_url: str, service_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """The session's API and a second API process on the same Redis."""
    log = open(tmp_path_factory.mktemp("replica") / "api2.log", "wb")
    proc, url = stack.start_api(service_env, log)
    yield [api_url, url]
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    import sys

    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_a_revoked_or_expired_key_fails_at_once_on_every_replica(replicas: list[str], service_env: dict[str, str]
                                                                 ) -> None:
    one, two = (Api(u, ADMIN_KEY) for u in replicas)

    def status(key: str) -> list[int]:
        return [httpx.get(f"{u}/v1/jobs", headers={"Authorization": f"Bearer {key}"}).status_code for u in replicas]

    key, key_id = new_key(one, "dave", "submit", name="ci")
    assert status(key) == [200, 200]
    r = two.client.post(f"/v1/admin/keys/{key_id}/revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert status(key) == [401, 401]  # the very next request, on both, no restart
    # made by the operator's CLI, with a lifetime of 6 s
    before = time.monotonic()  # the key is made after this: its age is at most the time since
    made = _cli(service_env, "keys", "create", "--tenant", "dave", "--role", "read", "--expires", "6")
    assert made.returncode == 0, made.stderr
    short = made.stdout.strip()
    assert re.fullmatch(r"sgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", short) and short not in made.stderr
    works = status(short)
    assert time.monotonic() - before < 6 and works == [200, 200]
    wait_for(lambda: status(short) == [401, 401], timeout=20, what="the key to expire on both replicas")
    assert time.monotonic() - before >= 6
    # rotation: the new key works on both, the old one stops (no grace)
    old, old_id = new_key(one, "dave", "submit")
    rotated = two.client.post(f"/v1/admin/keys/{old_id}/rotate", json={})
    assert rotated.status_code == 201, rotated.text
    assert status(rotated.json()["key"]) == [200, 200] and status(old) == [401, 401]
    assert rotated.json()["rotated_from"] == old_id
    listed = _cli(service_env, "keys", "list", "--tenant", "dave")
    assert old_id in listed.stdout and "revoked" in listed.stdout and "sgk_" not in listed.stdout
    # last use is kept (at most once a minute per key and process), secrets never listed
    keys = one.client.get("/v1/admin/keys", params={"tenant": "dave"}).json()["data"]
    assert {k["id"]: k for k in keys}[key_id]["last_used_at"] is not None
    assert "key" not in keys[0] and all("hash" not in k and "salt" not in k for k in keys)


# -- quotas -----------------------------------------------------------------------------------


def _quotas(admin: Api, tenant: str, **limits: int) -> None:
    r = admin.client.put(f"/v1/admin/tenants/{tenant}/quotas", json={"limits": limits})
    assert r.status_code == 200, r.text


def _over(r: httpx.Response, name: str) -> dict[str, Any]:
    body = problem(r, 429)
    assert body["type"].endswith("/quota-exceeded") and body["quota"]["name"] == name, body
    assert int(r.headers["retry-after"]) >= 1 and body["quota"]["retry_after"] == int(r.headers["retry-after"])
    assert name in body["detail"]
    return body


def test_a_tenant_over_each_quota_gets_429_with_retry_after_on_any_replica(replicas: list[str]) -> None:
    admin = Api(replicas[0], ADMIN_KEY)
    apis = {}
    for t in ("quota-rate", "quota-jobs", "quota-day", "quota-max"):
        key, _ = new_key(admin, t, "submit")
        apis[t] = [Api(u, key) for u in replicas]
    made: list[tuple[Api, str]] = []

    def submit(t: str, i: int, spec: dict[str, Any], **headers: str) -> httpx.Response:
        api = apis[t][i % 2]  # alternate replicas: the counts are shared in Redis
        r = api.submit(spec, **headers)
        if r.status_code == 202:
            made.append((api, r.json()["id"]))
        return r

    try:
        _quotas(admin, "quota-rate", submits_per_minute=4)
        assert [submit("quota-rate", i, responses_spec(1)).status_code for i in range(4)] == [202] * 4
        body = _over(submit("quota-rate", 4, responses_spec(1)), "submits_per_minute")
        assert body["quota"]["limit"] == 4 and 1 <= body["quota"]["retry_after"] <= 15

        _quotas(admin, "quota-jobs", concurrent_jobs=2)
        first = [submit("quota-jobs", i, responses_spec(1)) for i in range(2)]
        assert [r.status_code for r in first] == [202, 202]
        r = submit("quota-jobs", 2, responses_spec(1), **{"Idempotency-Key": "after-the-wait"})
        assert _over(r, "concurrent_jobs")["quota"]["used"] == 2
        apis["quota-jobs"][0].client.post(f"/v1/jobs/{first[0].json()['id']}/cancel")  # a job ends: a place frees
        again = submit("quota-jobs", 3, responses_spec(1), **{"Idempotency-Key": "after-the-wait"})
        assert again.status_code == 202, again.text  # the refused submit gave its key back

        _quotas(admin, "quota-day", records_per_day=10)
        assert [submit("quota-day", i, responses_spec(4)).status_code for i in range(2)] == [202, 202]
        body = _over(submit("quota-day", 2, responses_spec(4)), "records_per_day")
        assert body["quota"]["used"] == 8 and body["quota"]["retry_after"] <= 86400
        never = problem(submit("quota-day", 3, responses_spec(11)), 422)  # more than a whole day: waiting cannot help
        assert never["type"].endswith("/over-limit") and never["errors"][0]["field"] == "target"
        assert "retry-after" not in {k.lower() for k in submit("quota-day", 3, responses_spec(11)).headers}

        _quotas(admin, "quota-max", max_target=5)
        body = problem(submit("quota-max", 0, responses_spec(6)), 422)
        assert body["quota"]["name"] == "max_target" and body["errors"][0]["field"] == "target"
        assert "6 is over this tenant's max_target of 5" in body["detail"]
        assert submit("quota-max", 1, responses_spec(5)).status_code == 202
        # what the admin sees
        seen = admin.client.get("/v1/admin/tenants/quota-day/quotas").json()
        assert seen["limits"]["records_per_day"] == 10 and seen["used"]["records_per_day"] == 8
    finally:
        for api, job_id in made:
            api.client.post(f"/v1/jobs/{job_id}/cancel")


def test_replicas_admitting_at_once_never_exceed_a_limit(replicas: list[str]) -> None:
    admin = Api(replicas[0], ADMIN_KEY)
    key, _ = new_key(admin, "quota-race", "submit")
    _quotas(admin, "quota-race", concurrent_jobs=3)

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
            return await asyncio.gather(*(c.post(f"{replicas[i % 2]}/v1/jobs", json=responses_spec(1))
                                          for i in range(12)))

    results = asyncio.run(burst())
    codes = sorted(r.status_code for r in results)
    assert codes == [202] * 3 + [429] * 9, codes
    for r in results:
        if r.status_code == 202:
            httpx.post(f"{replicas[0]}/v1/jobs/{r.json()['id']}/cancel", headers={"Authorization": f"Bearer {key}"})


def test_a_tenant_over_quota_does_not_stop_another_tenants_running_job(alice: Api, bob: Api, fake: Fake,
                                                                       worker: Workers, replicas: list[str]) -> None:
    """Alice floods over her quota while Bob's job runs: Bob's job keeps every record and
    Alice gets only 429s. (bench/tenant_isolation.py measures Bob's throughput.)"""
    admin = Api(replicas[0], ADMIN_KEY)
    _quotas(admin, "alice", submits_per_minute=1)
    fake.configure(latency=0.02)
    try:
        job_id = bob.submit(responses_spec(60, concurrency=8)).json()["id"]
        first = alice.submit(responses_spec(1))
        codes = []
        while bob.job(job_id)["status"] not in ("succeeded", "failed"):
            codes.append(alice.submit(responses_spec(1)).status_code)
        assert first.status_code == 202 and codes and set(codes) == {429}, codes
        job = bob.wait(job_id)
        assert job["status"] == "succeeded" and job["progress"]["kept"] == 60
        alice.client.post(f"/v1/jobs/{first.json()['id']}/cancel")
    finally:
        admin.client.put("/v1/admin/tenants/alice/quotas", json={"limits": {"submits_per_minute": None}})


# -- outbound requests ------------------------------------------------------------------------


def _policy(answers: dict[str, list[list[str]]], hosts: list[str], private: list[str] = ()) -> Any:
    """An OutboundPolicy whose DNS gives, per name, each call's answer in turn (and counts calls)."""
    from service.outbound import OutboundPolicy

    calls: dict[str, int] = {}

    async def resolve(host: str, port: int) -> list[str]:
        n = calls.get(host, 0)
        calls[host] = n + 1
        got = answers[host]
        return got[min(n, len(got) - 1)]

    policy = OutboundPolicy(hosts, list(private), resolve=resolve)
    policy.calls = calls  # type: ignore[attr-defined]
    return policy


@pytest.mark.parametrize(("url", "why"), [
    ("http://hooks.test/x", "resolves to 10.1.2.3"),               # an allowed name, a private address
    ("http://meta.hooks.test/x", "resolves to 169.254.169.254"),   # the cloud metadata address
    ("http://mapped.hooks.test/x", "resolves to ::ffff:127.0.0.1"),  # loopback written as IPv4-mapped IPv6
    ("http://mixed.hooks.test/x", "resolves to fd00::1"),          # one public, one private: refused
    ("http://127.0.0.1:9/x", "not one the operator allows"),       # not an allowed host at all
    ("http://other.example/x", "not one the operator allows"),
    ("https://hooks.test.evil.example/x", "not one the operator allows"),
    ("ftp://hooks.test/x", "http or https"),
    ("http://user:pw@hooks.test/x", "user or password"),
])
def test_outbound_urls_are_refused_unless_allowed(url: str, why: str) -> None:
    from service.outbound import Refused

    policy = _policy({"hooks.test": [["10.1.2.3"]], "meta.hooks.test": [["169.254.169.254"]],
                      "mapped.hooks.test": [["::ffff:127.0.0.1"]], "mixed.hooks.test": [["93.184.216.34", "fd00::1"]]},
                     ["hooks.test", "*.hooks.test"])
    with pytest.raises(Refused, match=re.escape(why)):
        asyncio.run(policy.addresses(url))


def test_outbound_connects_to_the_address_it_checked_not_a_rebound_one() -> None:
    """DNS rebinding: the first answer is checked and used; a later answer pointing at a
    private address is never asked for, so it is never connected to."""
    from service.outbound import post

    receiver = Receiver()
    try:
        port = receiver.url.rsplit(":", 1)[1]
        policy = _policy({"hooks.test": [["127.0.0.1"], ["10.9.9.9"]]}, ["hooks.test"], ["127.0.0.1/32"])
        code = asyncio.run(post(policy, f"http://hooks.test:{port}/rebind", b"{}", {"x-test": "1"}, 5))
        assert code == 200 and policy.calls == {"hooks.test": 1}
        [got] = receiver.requests
        assert got["path"] == "/rebind" and got["headers"]["Host"] == f"hooks.test:{port}"
        # with loopback not allowed, the same name is refused before any connection
        closed = _policy({"hooks.test": [["127.0.0.1"]]}, ["hooks.test"])
        from service.outbound import Refused

        with pytest.raises(Refused):
            asyncio.run(post(closed, f"http://hooks.test:{port}/x", b"{}", {}, 5))
        assert len(receiver.requests) == 1
    finally:
        receiver.close()


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/hook",
                                 "http://localhost:9/hook", "ftp://127.0.0.1/hook", "http://u:p@127.0.0.1/hook"])
def test_a_job_naming_a_disallowed_webhook_is_refused_naming_the_field(local: LocalApi, url: str) -> None:
    r = local.submit(responses_spec(1, webhook={"url": url}))
    body = problem(r, 422)
    assert body["errors"][0]["field"] in ("webhook.url", "webhook"), body


def test_a_webhook_is_signed_timestamped_and_retried_with_backoff(alice: Api, fake: Fake, worker: Workers) -> None:
    from service.webhooks import verify

    receiver = Receiver(fail_first=2)
    try:
        job_id = alice.submit(responses_spec(3, webhook={"url": receiver.url + "/hooks/synthgen"})).json()["id"]
        assert alice.wait(job_id)["status"] == "succeeded"
        wait_for(lambda: len(receiver.requests) >= 3, timeout=30, what="three deliveries")
        secret = alice.client.get("/v1/webhooks/secret").json()["secret"]
        assert secret.startswith("whsec_")
        first, second, third = receiver.requests[:3]
        assert {r["headers"]["webhook-id"] for r in receiver.requests} == {f"evt_{job_id}_succeeded"}
        assert all(verify(secret, r["headers"], r["body"]) for r in receiver.requests)
        assert not verify(secret, third["headers"], third["body"] + b" ")  # the body is what is signed
        assert not verify("whsec_" + "A" * 32, third["headers"], third["body"])
        assert not verify(secret, third["headers"], third["body"], now=time.time() + 3600)  # too old: a replay
        event = json.loads(third["body"])
        assert event["type"] == "job.succeeded" and event["data"]["id"] == job_id
        assert event["data"]["progress"]["kept"] == 3
        gaps = [int(b["headers"]["webhook-timestamp"]) - int(a["headers"]["webhook-timestamp"])
                for a, b in zip(receiver.requests, receiver.requests[1:3])]
        assert gaps[0] >= 1 and gaps[1] >= 2, gaps  # backing off: 1 s, then 2 s at least
        d = wait_for(lambda: (x := alice.client.get(f"/v1/jobs/{job_id}/webhook").json())["state"] == "delivered" and x,
                     timeout=10, what="the delivery record")
        assert d["attempts"] == 3 and d["last_status"] == 200
        time.sleep(2)
        assert len(receiver.requests) == 3  # delivered: not sent again
    finally:
        receiver.close()


# -- metrics ----------------------------------------------------------------------------------


def test_metrics_need_the_token_or_an_admin_key_and_name_no_tenant(api_url: str, fake: Fake, worker: Workers) -> None:
    admin = Api(api_url, ADMIN_KEY)
    key, _ = new_key(admin, "zebra-tenant-7", "submit")
    zebra = Api(api_url, key)
    job_id = zebra.wait(zebra.submit(responses_spec(3)).json()["id"])["id"]
    assert problem(httpx.get(f"{api_url}/metrics"), 401)
    assert problem(httpx.get(f"{api_url}/metrics", headers={"Authorization": "Bearer wrong"}), 401)
    assert problem(httpx.get(f"{api_url}/metrics", headers={"Authorization": f"Bearer {key}"}), 403)
    for credential in (METRICS_TOKEN, ADMIN_KEY):
        r = httpx.get(f"{api_url}/metrics", headers={"Authorization": f"Bearer {credential}"})
        assert r.status_code == 200 and "synthgen_jobs_submitted_total" in r.text
    text = r.text
    assert "zebra" not in text and not re.search(r"job_[0-9a-f]{24}", text), job_id
    for tenant in (*KEYS, "ops"):
        assert f'"{tenant}"' not in text


# -- input bounds ------------------------------------------------------------------------------


def _unbounded(doc: dict[str, Any]) -> list[str]:
    schemas = doc["components"]["schemas"]
    out: list[str] = []
    seen: set[str] = set()

    def walk(s: Any, where: str) -> None:
        if not isinstance(s, dict):
            return
        if "$ref" in s:
            name = s["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                walk(schemas[name], name)
            return
        kind = s.get("type")
        if kind == "string" and not ({"maxLength", "enum", "const"} & set(s)):
            out.append(f"{where}: string without maxLength")
        if kind == "array" and "maxItems" not in s:
            out.append(f"{where}: array without maxItems")
        if kind == "object" and s.get("additionalProperties") not in (None, False) and "maxProperties" not in s:
            out.append(f"{where}: map without maxProperties")
        for key, value in s.items():
            if key == "properties":
                for name, sub in value.items():
                    walk(sub, f"{where}.{name}")
            elif key in ("items", "additionalProperties", "propertyNames"):
                walk(value, f"{where}[]")
            elif key in ("anyOf", "oneOf", "allOf"):
                bounds = {k: v for k, v in s.items() if k in ("maxLength", "maxItems", "maxProperties", "enum")}
                for sub in value:  # a nullable parameter's bound sits beside its oneOf
                    walk({**bounds, **sub} if "$ref" not in sub else sub, where)

    for path, method, op in operations(doc):
        for p in op.get("parameters", []):
            walk(p.get("schema", {}), f"{op['operationId']} {p['in']} {p['name']}")
        if "requestBody" in op:
            walk(op["requestBody"]["content"]["application/json"]["schema"], f"{op['operationId']} body")
    return out


def test_every_input_is_bounded_in_the_schema(local: LocalApi) -> None:
    assert _unbounded(local.client.get("/docs/openapi.json").json()) == []


@pytest.mark.parametrize(("change", "field", "bound"), [
    ({"mix": [{"provider": "fake", "weight": 1}] * 33}, "mix", "<= 32"),
    ({"metadata": {f"k{i}": "v" for i in range(65)}}, "metadata", "<= 64"),
    ({"params": {"prompts": ["x" * 100_001]}}, "params.prompts[0]", "<= 100000"),
    ({"filters": {"refusal_phrases": ["no way"] * 257}}, "filters.refusal_phrases", "<= 256"),
    ({"filters": {"refusal_phrases": ["n" * 513]}}, "filters.refusal_phrases[0]", "<= 512"),
    ({"refuse_licences": ["x"] * 65}, "refuse_licences", "<= 64"),
    ({"target": 1_000_001}, "target", "<= 1000000"),
    ({"webhook": {"url": "http://127.0.0.1/" + "a" * 2048}}, "webhook.url", "<= 2048"),
    ({"metadata": {"k" * 129: "v"}}, "metadata", "<= 128"),
    ({"decontamination": {"inline": {f"s{i}": ["x"] for i in range(17)}}}, "decontamination.inline", "<= 16"),
], ids=["mix", "metadata", "prompt-length", "phrases", "phrase-length", "licences", "target", "webhook", "key",
        "inline-sets"])
def test_a_value_over_its_bound_is_a_4xx_naming_the_field_and_the_bound(local: LocalApi, change: dict[str, Any],
                                                                        field: str, bound: str) -> None:
    spec = {**responses_spec(1), **change}
    if "params" in change:
        spec["params"] = change["params"]
    body = problem(local.submit(spec), 422)
    assert body["errors"][0]["field"] == field and bound in body["detail"], body


def test_bodies_over_the_size_bound_are_413(local: LocalApi) -> None:
    big = responses_spec(1) | {"params": {"prompts": ["x" * 90_000] * 100}}
    r = local.client.post("/v1/jobs", content=json.dumps(big).encode(), headers={"Content-Type": "application/json"})
    assert problem(r, 413)


def test_key_secrets_are_never_stored(redis_url: str, local: LocalApi, local_service: Any) -> None:
    import redis

    client, worker = local_service
    key, key_id = new_key(LocalApi(client, ADMIN_KEY, worker), "erin", "read")
    secret = key.split("_", 2)[2]
    r = redis.Redis.from_url(redis_url)
    stored = b"".join(k + b"".join(v for v in r.hgetall(k).values()) for k in r.scan_iter("sg:apikey:*"))
    assert key_id.encode() in stored and secret.encode() not in stored and key.encode() not in stored



def test_a_provider_reserved_for_a_tenant_does_not_exist_for_the_others(local: LocalApi, local_bob: LocalApi,
                                                                        local_service: Any) -> None:
    client, worker = local_service
    admin = LocalApi(client, ADMIN_KEY, worker)
    names = {who: {p["name"] for p in api.client.get("/v1/providers").json()["data"]}
             for who, api in (("alice", local), ("bob", local_bob), ("admin", admin))}
    assert "bobs" not in names["alice"] and "bobs" in names["bob"] and "bobs" in names["admin"]
    body = problem(local.submit(responses_spec(1, generator={"provider": "bobs"})), 422)
    assert body["errors"][0]["field"] == "generator.provider" and "unknown provider 'bobs'" in body["detail"]
    r = local_bob.submit(responses_spec(1, generator={"provider": "bobs"}))
    assert r.status_code == 202, r.text
    local_bob.client.post(f"/v1/jobs/{r.json()['id']}/cancel")
    # licence tags still refuse a job, whoever's submit key sends it
    key, _ = new_key(admin, "alice", "submit")
    body = problem(LocalApi(client, key, worker).submit(responses_spec(1, refuse_licences=["test-only"])), 422)
    assert body["errors"][0]["field"] == "generator.provider" and "licence 'test-only'" in body["detail"]


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    from service.settings import from_env

    (tmp_path / "token").write_text("token-from-a-file\n")
    (tmp_path / "secret").write_text("secret-from-a-file\n")
    s = from_env({"SYNTHGEN_METRICS_TOKEN_FILE": str(tmp_path / "token"),
                  "SYNTHGEN_SIGNING_SECRET_FILE": str(tmp_path / "secret")})
    assert (s.metrics_token, s.signing_secret) == ("token-from-a-file", "secret-from-a-file")
    with pytest.raises(ValueError, match="SYNTHGEN_API_KEYS"):
        from_env({"SYNTHGEN_API_KEYS": "k=alice:superuser"})
