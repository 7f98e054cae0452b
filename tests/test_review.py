"""Job report and the human spot-check: API, and the review page in a real browser."""

from __future__ import annotations

import os
import shutil

import pytest

from support import Api, Fake, LocalApi, Workers, responses_spec


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
    r = local.client.post(base, json={"size": 9})
    assert r.status_code == 201, r.text
    sc = r.json()
    assert sc["size"] == 9 and len({i["record"]["id"] for i in sc["items"]}) == 9
    gens = [i["generator"] for i in sc["items"]]
    counts = {g: gens.count(g) for g in set(gens)}
    kept = {g: c["kept"] for g, c in job["generators"].items()}
    for g, n in counts.items():
        assert abs(n - 9 * kept[g] / 30) <= 1, (counts, kept)
    assert local.client.post(base, json={"size": 3}).json()["size"] == 9  # drawn once
    ids = [i["record"]["id"] for i in sc["items"]]
    for rid, v in zip(ids[:3], ["accept", "reject", "accept"]):
        assert local.client.put(f"{base}/{rid}", json={"verdict": v, "note": f"n-{v}"}).status_code == 200
    local.client.put(f"{base}/{ids[1]}", json={"verdict": "accept", "note": "changed my mind"})
    j = local.job(job["id"])
    assert j["spotcheck"] == {"size": 9, "reviewed": 3, "accepted": 3, "rejected": 0, "acceptance_rate": 1.0}
    assert local.client.put(f"{base}/{ids[0]}", json={"verdict": "maybe"}).status_code == 422
    assert local.client.put(f"{base}/not-a-sampled-id", json={"verdict": "accept"}).status_code == 404
    assert local_bob.client.get(base).status_code == 404
    export = local.client.get(f"{base}/export")
    lines = [line for line in export.text.splitlines() if line]
    assert export.headers["content-type"].startswith("application/x-ndjson") and len(lines) == 3


def _chromium() -> str | None:
    for path in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), shutil.which("chromium-browser")):
        if path and os.path.exists(path):
            return path
    return None


def test_review_page_in_headless_chromium(api_url: str, alice: Api, fake: Fake, worker: Workers) -> None:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
    from support import KEYS

    job = finished_mixed_job(alice, fake, n=12)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.goto(f"{api_url}/review?job={job['id']}")
        page.fill("#key", KEYS["alice"])
        page.fill("#size", "5")
        page.click("#load")
        page.wait_for_selector("#card:not([hidden])")
        assert "Reviewed 0 of 5" in page.inner_text("#progress")
        first = page.inner_text("#meta")
        assert "Question number" in page.inner_text("#record")
        page.fill("#note", "clear and correct")
        page.click("#accept")
        page.wait_for_function("document.querySelector('#progress').textContent.includes('Reviewed 1 of 5')")
        assert page.inner_text("#meta") != first
        page.fill("#note", "too short to be useful")
        page.click("#reject")
        page.wait_for_function("document.querySelector('#progress').textContent.includes('Reviewed 2 of 5')")
        page.click("#accept")
        page.wait_for_function("document.querySelector('#progress').textContent.includes('Reviewed 3 of 5')")
        assert "2 accepted" in page.inner_text("#progress")
        page.screenshot(path=os.path.join(os.environ.get("SYNTHGEN_SCREENSHOTS", "/tmp"), "review-page.png"))
        browser.close()
    sc = alice.client.get(f"/v1/jobs/{job['id']}/spotcheck").json()
    verdicts = [i["verdict"] for i in sc["items"] if i["verdict"]]
    assert sorted(v["verdict"] for v in verdicts) == ["accept", "accept", "reject"]
    assert {v["note"] for v in verdicts} == {"clear and correct", "too short to be useful", ""}
    assert alice.job(job["id"])["spotcheck"]["acceptance_rate"] == pytest.approx(2 / 3, abs=1e-3)
