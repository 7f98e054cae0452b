"""Job report and the human spot-check: API, and the review page in a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

from support import Api, Fake, LocalApi, Workers, responses_spec, wait_for


def finished_mixed_job(alice: Api, fake: Fake, n: int = 30) -> dict:
    fake.configure(scripts=[{"match": "topic 2[0-9] ", "replies": ["Short reply here."]}])
    spec = responses_spec(n, mix=[{"provider": "fake", "model": "fake-model", "weight": 2},
                                  {"provider": "fake", "model": "fake-model-2", "weight": 1}], seed=5)
    return alice.wait(alice.submit(spec).json()["id"])


def test_report_shows_distributions_yield_and_diversity(local: LocalApi, fake: Fake) -> None:
    job = finished_mixed_job(local, fake)
    r = local.client.get(f"/v1/jobs/{job['id']}/report")
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["records"] == 30
    assert rep["response_words"]["count"] == 30 and rep["response_words"]["min"] == 3
    assert rep["response_words"]["max"] >= 40 and sum(b["count"] for b in rep["response_words"]["histogram"]) == 30
    assert set(rep["generators"]) == {"fake/fake-model", "fake/fake-model-2"}
    assert sum(g["kept"] for g in rep["generators"].values()) == 30
    assert 0 < rep["prompt_diversity"]["distinct_1"] < rep["prompt_diversity"]["distinct_2"] <= 1
    assert rep["judge_scores"] is None and rep["nearest_similarity"] is None
    assert local.client.get(f"/v1/jobs/{job['id']}/report", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_spotcheck_sample_is_stratified_and_verdicts_add_up(local: LocalApi, local_bob: LocalApi, fake: Fake) -> None:
    job = finished_mixed_job(local, fake)
    base = f"/v1/jobs/{job['id']}/spotcheck"
    assert local.client.get(base).status_code == 404
    r = local.client.post(base, json={"size": 9, "guidelines": "Check facts first.", "reasons": ["wrong", "tone"]})
    assert r.status_code == 201, r.text
    sc = r.json()
    assert sc["summary"]["size"] == 9 and len({i["record"]["id"] for i in sc["items"]}) == 9
    assert sc["sample"]["interim"] is False and sc["sample"]["drawn_from"] == 30
    assert sc["sample"]["guidelines"] == "Check facts first." and sc["sample"]["reasons"] == ["wrong", "tone"]
    assert {i["kind"] for i in sc["items"]} == {"single"}
    gens = [i["generator"] for i in sc["items"]]
    counts = {g: gens.count(g) for g in set(gens)}
    kept = {g: c["kept"] for g, c in job["generators"].items()}
    for g, n in counts.items():
        assert abs(n - 9 * kept[g] / 30) <= 1, (counts, kept)
    assert local.client.post(base, json={"size": 3}).json()["summary"]["size"] == 9  # drawn once
    items = sc["items"]
    ids = [i["record"]["id"] for i in items]
    for rid, v in zip(ids[:3], ["accept", "reject", "accept"]):
        body = {"verdict": v, "note": f"n-{v}", "reviewer": "Ada", "reasons": ["wrong"] if v == "reject" else []}
        assert local.client.put(f"{base}/{rid}", json=body).status_code == 200
    r = local.client.put(f"{base}/{ids[1]}", json={"verdict": "accept", "note": "changed my mind", "reviewer": "Ada"})
    assert r.status_code == 200 and r.json()["reviewer"] == "Ada" and r.json()["accepted"] is True
    s = local.job(job["id"])["spotcheck"]
    assert (s["size"], s["reviewed"], s["accepted"], s["rejected"], s["acceptance_rate"]) == (9, 3, 3, 0, 1.0)
    assert s["by_reason"] == {} and s["by_verdict"] == {"accept": 3}  # the changed verdict's reason was taken back
    assert sum(a["reviewed"] for a in s["by_generator"].values()) == 3
    assert s["interval"]["low"] == 0.4385 and s["interval"]["high"] == 1.0  # 3 of 3 says little
    # bad verdicts are problems naming the field, and change nothing
    bad = [({"verdict": "maybe", "reviewer": "Ada"}, "verdict"), ({"verdict": "accept"}, "reviewer"),
           ({"verdict": "accept", "reviewer": "   "}, "reviewer"), ({"verdict": "accept", "reviewer": "x" * 121}, "reviewer"),
           ({"verdict": "reject", "reviewer": "Ada"}, "reasons"),
           ({"verdict": "reject", "reviewer": "Ada", "reasons": ["unsafe"]}, "reasons[0]"),
           ({"verdict": "tie", "reviewer": "Ada"}, "verdict")]
    for body, field in bad:
        r = local.client.put(f"{base}/{ids[0]}", json=body)
        assert r.status_code in (400, 422) and r.headers["content-type"].startswith("application/problem+json"), (body, r.text)
        assert field in r.text, (body, r.text)
    assert local.job(job["id"])["spotcheck"]["reviewed"] == 3
    assert local.client.put(f"{base}/not-a-sampled-id", json={"verdict": "accept", "reviewer": "Ada"}).status_code == 404
    assert local_bob.client.get(base).status_code == 404
    export = local.client.get(f"{base}/export")
    lines = [json.loads(line) for line in export.text.splitlines() if line]
    assert export.headers["content-type"].startswith("application/x-ndjson") and len(lines) == 4
    head, verdicts = lines[0], lines[1:]
    assert head["object"] == "spotcheck.summary" and head["summary"]["by_generator"] == s["by_generator"]
    assert all(v["object"] == "spotcheck.verdict" and v["reviewer"] == "Ada" and v["generator"] for v in verdicts)


def test_sample_is_never_drawn_implicitly_from_a_running_job_and_redraws_until_the_first_verdict(
        alice: Api, fake: Fake, worker: Workers) -> None:
    fake.configure(latency=0.15)
    job_id = alice.submit(responses_spec(30, concurrency=1)).json()["id"]
    base = f"/v1/jobs/{job_id}/spotcheck"
    wait_for(lambda: alice.job(job_id)["progress"]["kept"] >= 3, what="a few records")
    r = alice.client.post(base, json={"size": 200})
    assert r.status_code == 409 and r.json()["type"].endswith("/job-not-final"), r.text
    assert "interim" in r.json()["detail"] and alice.client.get(base).status_code == 404
    r = alice.client.post(base, json={"size": 200, "interim": True})
    assert r.status_code == 201, r.text
    early = r.json()
    assert early["sample"]["interim"] is True and early["sample"]["job_status"] == "running"
    assert early["summary"]["interim"] is True and alice.job(job_id)["spotcheck"]["interim"] is True
    assert len(early["items"]) == early["sample"]["drawn_from"] < 30
    fake.configure(latency=0.0)
    alice.wait(job_id)
    # asking again without redraw returns the same sample: a draw is never silent
    assert alice.client.post(base, json={"size": 200}).json()["sample"]["draw"] == early["sample"]["draw"]
    r = alice.client.post(base, json={"size": 12, "redraw": True, "seed": 3})
    assert r.status_code == 201, r.text
    full = r.json()
    assert full["sample"]["interim"] is False and full["sample"]["drawn_from"] == 30 and len(full["items"]) == 12
    assert alice.job(job_id)["spotcheck"] == full["summary"] and full["summary"]["interim"] is False
    rid = full["items"][0]["record"]["id"]
    assert alice.client.put(f"{base}/{rid}", json={"verdict": "accept", "reviewer": "Ada"}).status_code == 200
    r = alice.client.post(base, json={"size": 5, "redraw": True})
    assert r.status_code == 409 and r.json()["type"].endswith("/spotcheck-reviewed"), r.text
    after = alice.client.get(base).json()
    assert [i["record"]["id"] for i in after["items"]] == [i["record"]["id"] for i in full["items"]]
    assert after["summary"]["reviewed"] == 1


def _chromium() -> str | None:
    for path in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), shutil.which("chromium-browser")):
        if path and os.path.exists(path):
            return path
    return None


AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
REVIEWER = "Grace Hopper"


@pytest.fixture
def browser() -> Iterator[Any]:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def offline_page(browser: Any, width: int = 1280, height: int = 1000, axe: bool = False) -> tuple[Any, list[str]]:
    """A page whose requests to anything but loopback are blocked (and listed). `axe`:
    the page's Content-Security-Policy is bypassed so axe-core can be injected (the
    policy rightly refuses an inline script); the hostile-record test keeps it on."""
    page = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=axe).new_page()
    blocked: list[str] = []

    def route(r: Any) -> None:
        host = urlsplit(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return page, blocked


def open_review(page: Any, api_url: str, job_id: str, until: str = "#card:not([hidden])") -> None:
    from support import KEYS

    page.goto(f"{api_url}/review?job={job_id}")
    page.fill("#key", KEYS["alice"])
    page.fill("#reviewer", REVIEWER)
    page.press("#reviewer", "Enter")
    page.wait_for_selector(until)


def reviewed(page: Any, n: int, total: int) -> None:
    # A locator assertion, not wait_for_function: the page's policy refuses eval.
    from playwright.sync_api import expect

    # 15 s, not the default 5: a verdict is an API round trip, slow on a loaded CI box
    expect(page.locator("#progress")).to_have_text(re.compile(f"^Reviewed {n} of {total}"), timeout=15_000)


def axe_serious(page: Any) -> list[dict[str, Any]]:
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make test runs npm ci in tests/js)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})""")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_a_whole_review_by_keyboard_only(api_url: str, alice: Api, fake: Fake, worker: Workers, browser: Any) -> None:
    """20 records judged with A, R, digits, N, Esc, Ctrl+Enter, J/K; every verdict arrives
    with its reason and reviewer; the note draft survives Next and Prev; the end of the
    sample shows acceptance per generator; the page passes axe (WCAG 2.1 AA) at 1280
    and 390 px with no serious violation."""
    job = finished_mixed_job(alice, fake, n=20)
    r = alice.client.post(f"/v1/jobs/{job['id']}/spotcheck", json={"size": 20, "guidelines": "Reject **wrong** facts."})
    assert r.status_code == 201, r.text
    reasons = r.json()["sample"]["reasons"]
    page, blocked = offline_page(browser, axe=True)
    open_review(page, api_url, job["id"])
    assert "Reject wrong facts." in page.inner_text("#guide")
    assert page.inner_text("#progress").startswith("Reviewed 0 of 20")
    assert axe_serious(page) == []
    # from the record, Tab reaches Accept in a few stops (the issue counted 6 from the top)
    stops = 0
    while not page.evaluate("document.activeElement.id").startswith("v-"):
        page.keyboard.press("Tab")
        stops += 1
        assert stops <= 4, page.evaluate("document.activeElement.outerHTML")
    assert page.evaluate("document.activeElement.id") == "v-accept"
    page.focus("#card")
    # a draft note survives J (next) and K (previous) without being saved
    first = page.inner_text("#meta")
    page.keyboard.press("n")
    page.keyboard.type("draft: check the numbers")
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    assert page.inner_text("#meta") != first and page.input_value("#note") == ""
    page.keyboard.press("k")
    assert page.inner_text("#meta") == first and page.input_value("#note") == "draft: check the numbers"
    page.keyboard.press("a")  # saves the draft note with the accept
    reviewed(page, 1, 20)
    assert "Saved" in page.inner_text("#saved")
    expected = {1: ("accept", [])}
    for i in range(2, 21):
        if i % 4 == 0:  # R first asks for a reason; a digit, then Ctrl+Enter saves
            page.keyboard.press("r")
            assert "Pick a reason" in page.inner_text("#saved")
            page.keyboard.press("2")
            page.keyboard.press("Control+Enter")
            expected[i] = ("reject", [reasons[1]])
        elif i % 4 == 2:  # reasons first, then R
            page.keyboard.press("1")
            page.keyboard.press("6")
            page.keyboard.press("r")
            expected[i] = ("reject", sorted([reasons[0], reasons[5]]))
        else:
            page.keyboard.press("a")
            expected[i] = ("accept", [])
        reviewed(page, i, 20)
    page.wait_for_selector("#summary:not([hidden])")
    assert "End of sample" in page.inner_text("#done") and "95%" in page.inner_text("#summary")
    assert "fake/fake-model-2" in page.inner_text("#summary-body")
    assert "end of sample" in page.inner_text("#saved")
    assert axe_serious(page) == []
    page.keyboard.press("?")
    assert page.is_visible("#help") and "Ctrl" in page.inner_text("#help")
    page.keyboard.press("Escape")
    # the strip tells verdicts apart by symbol and label, not colour alone, and is focusable
    marks = page.eval_on_selector_all("#strip button", "bs => bs.map(b => [b.textContent, b.getAttribute('aria-label')])")
    assert len(marks) == 20 and {m[0] for m in marks} == {"✓", "✗"}
    assert all(m[1].startswith("Record ") for m in marks)
    page.focus("#strip button >> nth=3")
    page.keyboard.press("Enter")
    assert page.inner_text("#meta").startswith("4 / 20")
    # 390 px: nothing overflows sideways, the action bar keeps to a small part of the screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(100)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator("#next").bounding_box()
    assert box["x"] + box["width"] <= 390
    assert page.locator("#bar").bounding_box()["height"] < 0.3 * 844
    assert axe_serious(page) == []
    page.screenshot(path=os.path.join(os.environ.get("SYNTHGEN_SCREENSHOTS", "/tmp"), "review-page-390.png"), full_page=True)
    assert blocked == []
    sc = alice.client.get(f"/v1/jobs/{job['id']}/spotcheck").json()
    got = {k + 1: it["verdict"] for k, it in enumerate(sc["items"])}
    assert all(got.values()), "every record has a verdict"
    for i, (verdict, rs) in expected.items():
        assert (got[i]["verdict"], sorted(got[i]["reasons"])) == (verdict, rs), i
        assert got[i]["reviewer"] == REVIEWER
    assert got[1]["note"] == "draft: check the numbers"
    accepted = sum(v == "accept" for v, _ in expected.values())
    rep = alice.client.get(f"/v1/jobs/{job['id']}/report").json()["spotcheck"]
    assert rep["accepted"] == accepted and rep["reviewed"] == 20
    assert sum(g["reviewed"] for g in rep["by_generator"].values()) == 20
    assert all(0 <= g["low"] <= g["rate"] <= g["high"] <= 1 for g in rep["by_generator"].values())
    assert rep["by_reason"][reasons[1]] == 5 and rep["by_reason"][reasons[0]] == 5


def test_a_double_click_records_one_verdict(api_url: str, alice: Api, fake: Fake, worker: Workers, browser: Any) -> None:
    """Issue 18: a 150 ms double click on Reject also rejected the next, unseen record."""
    job = finished_mixed_job(alice, fake, n=8)
    page, _ = offline_page(browser)
    puts: list[str] = []
    page.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    # the page only reads: with no sample it offers to draw one, and draws only when asked
    open_review(page, api_url, job["id"], until="#draw:not([hidden])")
    assert alice.client.get(f"/v1/jobs/{job['id']}/spotcheck").status_code == 404
    assert page.is_hidden("#interim-box")  # the job is finished: no interim choice to make
    page.fill("#size", "8")
    page.fill("#guidelines", "Answers must name the topic number.")
    page.click("#draw-btn")
    page.wait_for_selector("#card:not([hidden])")
    assert alice.client.get(f"/v1/jobs/{job['id']}/spotcheck").json()["sample"]["guidelines"] == (
        "Answers must name the topic number.")
    page.keyboard.press("1")
    box = page.locator("#v-reject").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.dblclick(x, y)
    reviewed(page, 1, 8)
    page.wait_for_timeout(300)
    assert len(puts) == 1, puts  # the second click of the pair sent nothing
    page.wait_for_timeout(600)  # the reviewer reads the next record before clicking again
    # two clicks on Accept, the second landing right after the first was saved and the
    # page moved on: it must not accept the next, unseen record
    box = page.locator("#v-accept").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    reviewed(page, 2, 8)
    page.mouse.click(x, y)
    page.wait_for_timeout(600)
    assert page.inner_text("#progress").startswith("Reviewed 2 of 8") and len(puts) == 2, puts
    assert alice.job(job["id"])["spotcheck"]["reviewed"] == 2


def pair_job(alice: Api, fake: Fake) -> dict:
    from test_recipe_ultrafeedback import judge_rules
    from test_recipe_ultrafeedback import spec as uf_spec

    texts = {"ALPHA": "ALPHA answer with the **full** derivation:\n\n```python\nprint(1 + 1)\n```",
             "BETA": "BETA answer that skips a step.", "GAMMA": "GAMMA answer that is off topic."}
    rate = {"ALPHA": {"instruction_following": 5, "honesty": 5, "truthfulness": 5, "helpfulness": 4},
            "BETA": {"instruction_following": 3, "honesty": 4, "truthfulness": 2, "helpfulness": 3},
            "GAMMA": {"instruction_following": 1, "honesty": 2, "truthfulness": 3, "helpfulness": 1}}
    fake.configure(scripts=[*judge_rules(rate), {"endpoint": "chat", "replies": list(texts.values())}])
    job = alice.wait(alice.submit(uf_spec(["Explain why the sky is blue.", "Explain how tides work."])).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 2, job
    return job


def test_a_preference_pair_renders_side_by_side_with_its_scores(api_url: str, alice: Api, fake: Fake, worker: Workers,
                                                               browser: Any) -> None:
    job = pair_job(alice, fake)
    sc = alice.client.post(f"/v1/jobs/{job['id']}/spotcheck", json={"size": 2}).json()
    assert {i["kind"] for i in sc["items"]} == {"pair"} and sc["verdicts"]["pair"] == ["right", "order_wrong", "tie", "both_bad"]
    page, blocked = offline_page(browser, axe=True)
    open_review(page, api_url, job["id"])
    chosen, rejected = page.locator(".pair > section >> nth=0"), page.locator(".pair > section >> nth=1")
    a, b = chosen.bounding_box(), rejected.bounding_box()
    assert a["x"] + a["width"] <= b["x"] and abs(a["y"] - b["y"]) < 2, (a, b)
    rec = sc["items"][0]["record"]
    assert "null" not in page.inner_text("#meta") and "undefined" not in page.inner_text("#card")
    assert chosen.inner_text().startswith("Chosen") and f"score {round(rec['score_chosen'], 2):g}" in chosen.inner_text()
    assert f"score {round(rec['score_rejected'], 2):g}" in rejected.inner_text()
    assert page.inner_text("#record").count(rec["chosen"].split()[0]) >= 1
    assert page.locator(".pair").count() == 1 and "ALPHA" not in rejected.inner_text()
    # Markdown is rendered (bold, a code block), with a raw view a key away
    assert chosen.locator("strong").inner_text() == "full" and chosen.locator("pre code").inner_text() == "print(1 + 1)"
    page.keyboard.press("m")
    assert "**full**" in chosen.inner_text()
    page.keyboard.press("m")
    page.click("#record details summary")  # ratings as a table, not JSON
    assert page.locator("#record table th", has_text="helpfulness").count() == 1
    page.keyboard.press("d")
    assert "finish reason" in page.inner_text("#pipeline-body")
    page.screenshot(path=os.path.join(os.environ.get("SYNTHGEN_SCREENSHOTS", "/tmp"), "review-pair.png"), full_page=True)
    assert axe_serious(page) == []
    page.keyboard.press("o")
    reviewed(page, 1, 2)
    page.keyboard.press("4")
    page.keyboard.press("r")  # both bad, with a reason
    reviewed(page, 2, 2)
    assert blocked == []
    got = sorted((i["verdict"]["verdict"], i["verdict"]["accepted"], tuple(i["verdict"]["reasons"]))
                 for i in alice.client.get(f"/v1/jobs/{job['id']}/spotcheck").json()["items"])
    assert got == [("both_bad", False, (sc["sample"]["reasons"][3],)), ("order_wrong", False, ())]


def test_api_docs_render_with_the_network_off(api_url: str, browser: Any) -> None:
    for path in ("/docs", "/docs/swagger"):
        page, blocked = offline_page(browser)
        page.goto(api_url + path)
        page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
        assert "synthgen" in page.inner_text(".swagger-ui .info .title")
        assert page.locator(".opblock-tag", has_text="review").count() >= 1
        assert blocked == [], blocked
        page.close()


def test_a_verdict_sent_with_a_stale_draw_never_lands_on_a_redrawn_sample(redis_url: str) -> None:
    """The race VERDICT guards: a reviewer's PUT read the sample, then a redraw replaced
    it; the verdict must not be counted against the new sample."""
    import asyncio

    import redis.asyncio as aredis

    from service.store.jobs import JobStore, job_key

    async def run() -> tuple[bool, bool, int, dict]:
        r = aredis.Redis.from_url(redis_url)
        store = JobStore(r)
        jid = "job_race_test"
        await r.delete(job_key(jid))
        await r.hset(job_key(jid), mapping={"id": jid, "status": "succeeded"})
        lines = [json.dumps({"id": f"{jid}.p{i}"}).encode() for i in range(3)]
        assert await store.spot_draw(jid, lines, "d1", b"{}", interim=False, redraw=False) == 1
        assert await store.spot_draw(jid, lines[:2], "d2", b"{}", interim=False, redraw=False) == 0
        assert await store.spot_draw(jid, lines[:2], "d2", b"{}", interim=False, redraw=True) == 1
        stale = await store.spot_verdict(jid, "d1", f"{jid}.p2", b'{"verdict":"accept"}', "accept", True, "g", [])
        fresh = await store.spot_verdict(jid, "d2", f"{jid}.p0", b'{"verdict":"reject","accepted":false,"generator":"g",'
                                         b'"reasons":["wrong"]}', "reject", False, "g", ["wrong"])
        again = await store.spot_draw(jid, lines, "d3", b"{}", interim=False, redraw=True)
        h = {k.decode(): v.decode() for k, v in (await r.hgetall(job_key(jid))).items()}
        await r.delete(*[k async for k in r.scan_iter(f"{job_key(jid)}*")])
        await r.aclose()
        return stale, fresh, again, h

    stale, fresh, again, h = asyncio.run(run())
    assert stale is False and fresh is True and again == -1
    assert (h["spot_size"], h["spot_accepted"], h["spot_rejected"], h["spot_draw"]) == ("2", "0", "1", "d2")
    assert h["spot_gen:g:n"] == "1" and h["spot_rsn:wrong"] == "1" and "spot_gen:g:acc" not in h


HOSTILE = [
    '<script>window.__pwned = "script"</script>Answer with a script tag.',
    '<img src=x onerror="window.__pwned = \'img\'"> Answer with an image.',
    "[click me](javascript:window.__pwned='md-link') and <a href=\"javascript:window.__pwned='a'\">here</a>",
    "**<svg onload=\"window.__pwned='svg'\"></svg>** and <iframe src=\"javascript:window.__pwned='iframe'\"></iframe>",
    "```html\n<script>window.__pwned='fenced'</script>\n```\n<style>body{display:none}</style>",
]


def test_hostile_records_render_inert_and_a_verdict_needs_the_csrf_token(
        api_url: str, alice: Api, fake: Fake, worker: Workers, browser: Any) -> None:
    """Records holding `<script>`, `<img onerror>`, `javascript:` links, SVG and iframes
    do nothing in the page (under its real Content-Security-Policy); a reviewer signs in
    with a review link, which leaves no credential in the page's storage or address; a
    verdict sent without the session's CSRF token is refused."""
    fake.configure(scripts=[{"endpoint": "chat", "replies": HOSTILE}])
    spec = responses_spec(5) | {"params": {"prompts": [f"<script>window.__pwned='prompt{i}'</script> Explain topic {i}."
                                                       for i in range(5)]}}
    job = alice.wait(alice.submit(spec).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 5, job
    assert alice.client.post(f"/v1/jobs/{job['id']}/spotcheck", json={"size": 5}).status_code == 201
    link = alice.client.post(f"/v1/jobs/{job['id']}/review-links", json={"expires_in": 600}).json()
    token = link["url"].split("#link=")[1]
    page, blocked = offline_page(browser)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    response = page.goto(api_url + link["url"])
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    page.wait_for_selector("#card:not([hidden])")
    # signed in by the link: nothing of it is left in the address, storage or readable cookies
    assert page.evaluate("location.hash") == "" and token not in page.url
    storage = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    assert token not in storage and "sgk_" not in storage and "sg_review" not in page.evaluate("document.cookie")
    assert "job " + job["id"] + " only" in page.inner_text("#signed-in")
    seen = []
    for i in range(5):
        for raw in (False, True):
            if raw:
                page.keyboard.press("m")
            seen.append(page.inner_text("#record"))
            counts = page.evaluate("""() => ({
                active: document.querySelectorAll('#record script, #record img, #record iframe, #record svg, '
                    + '#record style, #record a, #record [href], #record [src]').length,
                handlers: [...document.querySelectorAll('#record *')].filter(
                    e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
                pwned: window.__pwned === undefined ? null : String(window.__pwned)})""")
            assert counts == {"active": 0, "handlers": 0, "pwned": None}, (i, raw, counts)
            if raw:
                page.keyboard.press("m")
        page.keyboard.press("j")
    text = "\n".join(seen)
    assert "<script>" in text and "onerror" in text and "javascript:" in text  # shown, as text
    assert page.is_visible("body") and dialogs == [] and blocked == []
    # a verdict from the page carries the CSRF token and lands (the page first asks who reviews)
    page.focus("#card")
    page.keyboard.press("a")
    page.wait_for_selector("#reviewer:visible")
    page.fill("#reviewer", REVIEWER)
    page.press("#reviewer", "Enter")
    page.wait_for_selector("#card:not([hidden])")
    page.focus("#card")
    page.keyboard.press("a")
    reviewed(page, 1, 5)
    rid = alice.client.get(f"/v1/jobs/{job['id']}/spotcheck").json()["items"][1]["record"]["id"]
    refused = page.evaluate("""async ([path, rid]) => {
        const out = [];
        for (const headers of [{}, {"X-CSRF-Token": "forged"}]) {
            const r = await fetch(path + "/spotcheck/" + rid, {method: "PUT", credentials: "same-origin",
                headers: {"Content-Type": "application/json", ...headers},
                body: JSON.stringify({verdict: "accept", reviewer: "mallory"})});
            out.push([r.status, (await r.json()).type]);
        }
        const job = await fetch(path, {credentials: "same-origin"});
        out.push([job.status, (await job.json()).type]);
        return out;
    }""", [f"/v1/jobs/{job['id']}", rid])
    assert [s for s, _ in refused] == [403, 403, 401], refused
    assert refused[0][1].endswith("/csrf") and refused[1][1].endswith("/csrf")
    sc = alice.client.get(f"/v1/jobs/{job['id']}/spotcheck").json()
    assert sc["summary"]["reviewed"] == 1 and all(i["verdict"] is None or i["verdict"]["reviewer"] == REVIEWER
                                                  for i in sc["items"])


def test_a_review_key_signs_in_and_is_not_kept(api_url: str, alice: Api, fake: Fake, worker: Workers,
                                               browser: Any) -> None:
    from support import ADMIN_KEY

    job = finished_mixed_job(alice, fake, n=6)
    made = Api(api_url, ADMIN_KEY).client.post("/v1/admin/keys", json={"tenant": "alice", "role": "review"}).json()
    page, _ = offline_page(browser)
    page.goto(f"{api_url}/review?job={job['id']}")
    page.fill("#key", made["key"])
    page.fill("#reviewer", REVIEWER)
    page.press("#reviewer", "Enter")
    page.wait_for_selector("#draw:not([hidden])")  # a review key may draw the sample
    assert page.input_value("#key") == "" and page.is_hidden("#key-box")
    storage = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    assert made["key"] not in storage and "sg_review" not in page.evaluate("document.cookie")
    page.fill("#size", "4")
    page.click("#draw-btn")
    page.wait_for_selector("#card:not([hidden])")
    page.keyboard.press("a")
    reviewed(page, 1, 4)
    # a reload keeps the session (the cookie), not the key; revoking the key ends it
    page.reload()
    page.wait_for_selector("#card:not([hidden])")
    Api(api_url, ADMIN_KEY).client.post(f"/v1/admin/keys/{made['id']}/revoke")
    page.reload()
    page.wait_for_selector("#key-box:not([hidden])")
    assert page.is_hidden("#card")
