"use strict";
// The review page (served with a strict Content-Security-Policy: this file, the
// stylesheet, calls to this origin, nothing else).
// Everything a record holds is untrusted model output: it only ever reaches the page
// through textContent and createElement, never innerHTML; the only attributes set from
// it are inert ones (title, data-lang), never href, src or an event handler (Markdown
// links are not rendered as links at all).
// Sign-in: a key typed here, or a review link's token (in the URL fragment, never sent
// to a server by the browser), is exchanged once for a session: an HttpOnly cookie the
// page cannot read, plus a CSRF token kept in memory only, sent with every write. The
// key is not kept: not in storage, not in the page after sign-in.
const $ = (id) => document.getElementById(id);
const LABELS = { accept: "Accept", reject: "Reject", right: "Chosen is right", order_wrong: "Order wrong", tie: "Tie", both_bad: "Both bad" };
const KEYS = { accept: "a", reject: "r", right: "a", order_wrong: "o", tie: "t", both_bad: "r" };
const ACCEPTED = new Set(["accept", "right"]);
const NEEDS_REASON = new Set(["reject", "both_bad"]);
const state = { sc: null, index: 0, drafts: new Map(), saving: false, clickGuard: 0, session: null, missing: null };
const params = new URLSearchParams(location.search);
$("job").value = params.get("job") || "";
$("reviewer").value = localStorage.getItem("synthgen-reviewer") || "";
const linkToken = new URLSearchParams(location.hash.slice(1)).get("link");
if (linkToken) history.replaceState(null, "", location.pathname + location.search);  // out of the address bar and history

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

async function api(method, path, body) {
  const headers = {};
  if (body) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.session) headers["X-CSRF-Token"] = state.session.csrf_token;
  const r = await fetch(path, { method, headers, credentials: "same-origin", body: body ? JSON.stringify(body) : undefined });
  if (!r.ok) {
    let detail = r.statusText, problem = {};
    try { problem = await r.json(); detail = problem.detail || detail; } catch (e) {}
    const err = new Error(detail); err.status = r.status; err.problem = problem; throw err;
  }
  return r;
}
const base = () => "/v1/jobs/" + encodeURIComponent($("job").value.trim());

// -- signing in ------------------------------------------------------------------------
function signedIn(session) {
  state.session = session;
  $("key-box").hidden = !!session;
  $("signed-in").hidden = !session;
  if (!session) return;
  const out = el("button", { type: "button", text: "Sign out" });
  out.onclick = signOut;
  $("signed-in").replaceChildren(`Signed in: ${session.tenant} (${session.role}${session.job ? ", job " + session.job + " only" : ""}) until ${session.expires_at} `, out);
  if (session.job) { $("job").value = session.job; $("job").readOnly = true; }
}

async function signIn() {
  const key = $("key").value.trim();
  $("key").value = "";  // used once, here; never kept
  if (key || linkToken) {
    const r = await api("POST", "/review/session", key ? { using: "key", key } : { using: "link", link: linkToken });
    signedIn(await r.json());
    return;
  }
  if (!state.session) {
    try { signedIn(await (await api("GET", "/review/session")).json()); }
    catch (e) { if (e.status === 401) throw new Error("sign in with a review key or a review link"); throw e; }
  }
}

async function signOut() {
  await fetch("/review/session", { method: "DELETE", credentials: "same-origin" });
  signedIn(null); state.sc = null;
  connected(false);
  for (const id of ["about", "card", "bar", "summary", "draw"]) $(id).hidden = true;
  $("strip").replaceChildren(); $("progress").textContent = "";
  $("key").focus();
}

// -- loading and drawing: the page reads a sample; it draws one only when asked ------
async function load(ev) {
  if (ev) ev.preventDefault();
  $("problem").textContent = "";
  localStorage.setItem("synthgen-reviewer", $("reviewer").value.trim());
  try {
    await signIn();
    state.missing = null;
    try { state.sc = await (await api("GET", base() + "/spotcheck")).json(); }
    catch (e) { if (e.status !== 404 || !e.problem.job_status) throw e; state.sc = null; state.missing = e.problem; }
    if (!state.sc) return showDraw();
    $("draw").hidden = true;
    const first = state.sc.items.findIndex((i) => !i.verdict);
    state.index = first >= 0 ? first : 0;
    connected(true);
    render();
    $("card").focus();  // keys act on the record from here, not in the form just submitted
  } catch (e) { $("problem").textContent = "Could not load: " + e.message; }
}

// Once a sample is open the connection form folds into one line, so that on a phone
// the record and the action bar get the screen.
function connected(on) {
  $("connect").hidden = on; $("current").hidden = !on;
  if (!on) return;
  const change = el("button", { type: "button", text: "Change" });
  change.onclick = () => { connected(false); $("job").focus(); };
  $("current").replaceChildren("Job ", el("code", { text: $("job").value.trim() }), " · reviewer ",
    el("strong", { text: $("reviewer").value.trim() || "(enter your name)" }), " ", change);
}

function showDraw() {
  const status = state.missing.job_status;
  const running = !["succeeded", "failed", "cancelled"].includes(status);
  $("draw").hidden = false; $("about").hidden = true; $("card").hidden = true; $("bar").hidden = true; $("summary").hidden = true;
  $("strip").replaceChildren(); $("progress").textContent = "";
  $("interim-box").hidden = !running;
  $("draw-why").textContent = running
    ? `No sample yet: ${state.missing.detail}. A sample drawn now is an interim one: it covers only what exists yet. Wait for the job to finish, or tick "interim".`
    : `No sample has been drawn for this job yet: ${state.missing.detail}.`;
}

async function draw(ev, redraw) {
  if (ev) ev.preventDefault();
  $("problem").textContent = "";
  const body = { size: Number($("size").value) || 200, interim: $("interim").checked, redraw: !!redraw };
  if ($("guidelines").value.trim()) body.guidelines = $("guidelines").value.trim();
  else if (redraw && state.sc) body.guidelines = state.sc.sample.guidelines;
  try { await api("POST", base() + "/spotcheck", body); state.drafts.clear(); await load(); }
  catch (e) { $("problem").textContent = "Could not draw: " + e.message; }
}

// -- rendering a record: a view per kind ----------------------------------------------
// A small Markdown subset (fences, headings, lists, emphasis, inline code) built as DOM.
function inline(text) {
  const out = document.createDocumentFragment();
  const re = /(`[^`]+`|\*\*[^*]+\*\*|\*[^*\s][^*]*\*|_[^_\s][^_]*_)/g;
  let last = 0, m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.append(text.slice(last, m.index));
    const t = m[0];
    if (t[0] === "`") out.append(el("code", { text: t.slice(1, -1) }));
    else if (t.startsWith("**")) out.append(el("strong", { text: t.slice(2, -2) }));
    else out.append(el("em", { text: t.slice(1, -1) }));
    last = m.index + t.length;
  }
  if (last < text.length) out.append(text.slice(last));
  return out;
}

function markdown(src) {
  const root = el("div", { class: "md" });
  const lines = String(src).split("\n");
  let para = [], list = null;
  const flush = () => {
    if (para.length) { root.append(el("p", {}, inline(para.join(" ")))); para = []; }
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(/^\s*```\s*([\w+-]*)/);
    if (fence) {
      flush();
      const code = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) code.push(lines[i]);
      const c = el("code", { text: code.join("\n") });
      if (fence[1]) c.setAttribute("data-lang", fence[1]);
      root.append(el("pre", { tabindex: "0" }, c));  // focusable: a wide block scrolls by keyboard
      continue;
    }
    const h = line.match(/^(#{1,6})\s+(.*)/);
    const li = line.match(/^\s*([-*+]|\d+[.)])\s+(.*)/);
    if (h) { flush(); root.append(el("h" + Math.min(6, h[1].length + 2), {}, inline(h[2]))); }
    else if (li) {
      const ordered = /\d/.test(li[1]);
      if (!list || list.ordered !== ordered) {
        if (para.length) { root.append(el("p", {}, inline(para.join(" ")))); para = []; }
        list = { ordered, node: el(ordered ? "ol" : "ul") };
        if (ordered) list.node.setAttribute("start", String(parseInt(li[1], 10)));
        root.append(list.node);
      }
      list.node.append(el("li", {}, inline(li[2])));
    } else if (!line.trim()) flush();
    else { if (list) list = null; para.push(line.trim()); }
  }
  flush();
  return root;
}

const raw = () => $("raw").checked;
const body = (text) => (raw() ? el("pre", { class: "raw" }, String(text ?? "")) : markdown(text ?? ""));

function turnsOf(rec) {
  if (rec.messages) return rec.messages;
  if (rec.conversations) return rec.conversations.map((c) => ({ role: { human: "user", gpt: "assistant" }[c.from] || c.from, content: c.value }));
  if ("instruction" in rec) return [{ role: "user", content: rec.instruction + (rec.input ? "\n\n" + rec.input : "") }, { role: "assistant", content: rec.output ?? rec.response ?? "" }];
  if ("prompt" in rec) return [{ role: "user", content: rec.prompt }, { role: "assistant", content: rec.response ?? "" }];
  return [];
}
const USED = { pair: ["prompt", "chosen", "rejected", "score_chosen", "score_rejected", "messages", "completions", "chosen_model", "rejected_model"],
               turns: ["messages", "conversations", "prompt", "response", "instruction", "input", "output"] };

function turn(role, content, title) {
  return el("div", { class: "turn " + role }, el("span", { class: "role", text: title || role }), body(content));
}

function score(label, value) {
  return value === undefined || value === null ? null : el("span", { class: "badge", text: `${label} ${typeof value === "number" ? +value.toFixed(2) : value}` });
}

function ratingsTable(rec) {
  const comps = rec.completions || [];
  const aspects = [...new Set(comps.flatMap((c) => Object.keys(c.ratings || {})))];
  if (!comps.length || !aspects.length) return null;
  const head = el("tr", {}, el("th", { scope: "col", text: "completion" }), el("th", { scope: "col", text: "model" }),
                  ...aspects.map((a) => el("th", { scope: "col", text: a })), el("th", { scope: "col", text: "mean" }));
  const rows = comps.map((c, i) => {
    const role = c.text === rec.chosen ? "chosen" : c.text === rec.rejected ? "rejected" : `#${i + 1}`;
    return el("tr", {}, el("th", { scope: "row", text: role }), el("td", { text: c.model || "" }),
      ...aspects.map((a) => { const r = (c.ratings || {})[a] || {}; return el("td", { title: r.rationale || "", text: r.rating ?? "n/a" }); }),
      el("td", { text: c.mean === null || c.mean === undefined ? "n/a" : String(+Number(c.mean).toFixed(2)) }));
  });
  return el("details", {}, el("summary", { text: `Ratings of ${comps.length} completions` }),
    el("div", { class: "scroll", tabindex: "0" }, el("table", {}, el("caption", { class: "sr-only", text: "Judge ratings per completion" }), el("thead", {}, head), el("tbody", {}, ...rows))));
}

function otherFields(rec, used) {
  const rest = Object.entries(rec).filter(([k]) => !["id", "meta", ...used].includes(k));
  const fields = (rec.meta && rec.meta.fields) ? Object.entries(rec.meta.fields) : [];
  const all = [...rest, ...fields];
  if (!all.length) return null;
  const dl = el("dl", { class: "kv" });
  for (const [k, v] of all) dl.append(el("dt", { text: k }), el("dd", {}, typeof v === "string" ? v : valueView(v)));
  return dl;
}

function valueView(v) {
  if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null)) return v.join(", ");
  if (v && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => typeof x !== "object" || x === null)) {
    const dl = el("dl", { class: "kv" });
    for (const [k, x] of Object.entries(v)) dl.append(el("dt", { text: k }), el("dd", { text: String(x) }));
    return dl;
  }
  return el("pre", { class: "raw", text: JSON.stringify(v, null, 1) });
}

function renderRecord(it) {
  const rec = it.record, box = $("record");
  box.replaceChildren();
  if (it.kind === "pair") {
    box.append(turn("user", rec.prompt, "prompt"));
    const side = (name, text, sc, model) => el("section", { "aria-label": name },
      el("h3", {}, name, score("score", sc), model ? el("span", { class: "badge", text: model }) : null), body(text));
    box.append(el("div", { class: "pair" },
      side("Chosen", rec.chosen, rec.score_chosen, rec.chosen_model),
      side("Rejected", rec.rejected, rec.score_rejected, rec.rejected_model)));
    const t = ratingsTable(rec); if (t) box.append(t);
    const o = otherFields(rec, USED.pair); if (o) box.append(o);
  } else {
    const turns = turnsOf(rec);
    let n = 0;
    for (const m of turns) box.append(turn(m.role, m.content, m.role === "user" && it.kind === "dialogue" ? `user · turn ${++n}` : m.role));
    const o = otherFields(rec, USED.turns); if (o) box.append(o);
  }
  const meta = rec.meta || {}, p = $("pipeline-body");
  const dl = el("dl", { class: "kv" });
  const add = (k, v) => { if (v !== undefined && v !== null && v !== "") dl.append(el("dt", { text: k }), el("dd", {}, v)); };
  const judge = meta.judge;
  if (judge && judge.score !== undefined) {
    add("judge score", `${judge.score}${judge.scores && judge.scores.length > 1 ? " (" + judge.scores.join(", ") + ")" : ""}`);
    add("judge model", judge.model); add("judge rationale", judge.rationale);
  } else if (judge) {  // a pairing recipe's judge: its ratings are in the table above
    add("judge", `${judge.provider || "?"}/${judge.model || "?"}${it.kind === "pair" ? " (ratings per completion above)" : ""}`);
  } else add("judge", "not judged");
  add("finish reason", meta.finish_reason || "unknown");
  add("model", `${meta.provider || "?"}/${meta.model || "?"}`); add("licence", meta.licence);
  if (meta.dedup) add("nearest neighbour", `similarity ${meta.dedup.nearest}${meta.dedup.nearest_id ? " to " + meta.dedup.nearest_id : ""}`);
  else add("nearest neighbour", "no embedding dedup in this job");
  if (meta.sampling) add("sampling", Object.entries(meta.sampling).map(([k, v]) => `${k}=${v}`).join(", "));
  p.replaceChildren(dl);
}

// -- verdict controls --------------------------------------------------------------
function draft(it) {
  let d = state.drafts.get(it.record.id);
  if (!d) {
    d = { note: it.verdict ? it.verdict.note : "", reasons: new Set(it.verdict ? it.verdict.reasons : []), pending: null };
    state.drafts.set(it.record.id, d);
  }
  return d;
}

function renderControls(it) {
  const d = draft(it), reasons = state.sc.sample.reasons;
  const box = $("reasons");
  box.replaceChildren(el("legend", { text: "Reasons" }));
  box.classList.toggle("need", !!d.pending && NEEDS_REASON.has(d.pending) && !d.reasons.size);
  reasons.forEach((r, i) => {
    const cb = el("input", { type: "checkbox", value: r, id: "reason-" + r });
    if (i < 9) cb.setAttribute("aria-keyshortcuts", String(i + 1));
    cb.checked = d.reasons.has(r);
    cb.onchange = () => { cb.checked ? d.reasons.add(r) : d.reasons.delete(r); renderControls(it); };
    box.append(el("label", {}, cb, ` ${r.replace(/_/g, " ")} `, i < 9 ? el("kbd", { text: String(i + 1), "aria-hidden": "true" }) : null));
  });
  $("note").value = d.note;
  const vs = $("verdicts"); vs.replaceChildren();
  for (const v of state.sc.verdicts[it.kind]) {
    const b = el("button", { type: "button", id: "v-" + v, class: ACCEPTED.has(v) ? "ok" : (NEEDS_REASON.has(v) ? "bad" : ""),
                             "aria-keyshortcuts": KEYS[v], "aria-pressed": String((d.pending || (it.verdict && it.verdict.verdict)) === v) },
                  `${LABELS[v]} `, el("kbd", { text: KEYS[v].toUpperCase(), "aria-hidden": "true" }));
    b.disabled = state.saving;
    // A double click is one verdict: its second click (detail 2), or a click landing just
    // after a save moved on to the next record, is not taken as a verdict on that record.
    b.onclick = (ev) => { if (ev.detail < 2 && performance.now() >= state.clickGuard) decide(v); };
    vs.append(b);
  }
}

function mark(it) {
  if (!it.verdict) return { cls: "", sym: "·", word: "not reviewed" };
  return it.verdict.accepted ? { cls: "ok", sym: "✓", word: LABELS[it.verdict.verdict] } : { cls: "bad", sym: "✗", word: LABELS[it.verdict.verdict] };
}

function pct(x) { return x === null || x === undefined ? "–" : Math.round(100 * x) + "%"; }
function interval(a) { return a.rate === null ? "no verdicts" : `${pct(a.rate)} of ${a.reviewed} (95% CI ${pct(a.low)}–${pct(a.high)})`; }

function render() {
  const sc = state.sc, items = sc.items, n = items.length;
  const reviewed = items.filter((i) => i.verdict).length;
  const accepted = items.filter((i) => i.verdict && i.verdict.accepted).length;
  $("about").hidden = false;
  const s = sc.sample;
  $("interim-note").hidden = !s.interim;
  $("interim-note").textContent = s.interim ? `Interim sample: drawn while the job was ${s.job_status}, from the ${s.drawn_from} records that existed then. It says nothing about records made later.` : "";
  $("drawn").textContent = `${n} records drawn${s.drawn_at ? " " + s.drawn_at : ""} from ${s.drawn_from}, stratified by generator · seed ${s.seed}`;
  const guide = $("guide"); guide.replaceChildren();
  if (s.guidelines) guide.append(el("h3", { text: "Guidelines" }), markdown(s.guidelines));
  $("redraw").hidden = reviewed > 0;
  $("progress").textContent = `Reviewed ${reviewed} of ${n} · ${accepted} accepted` + (reviewed ? ` · ${pct(accepted / reviewed)}` : "");
  const strip = $("strip"); strip.replaceChildren();
  items.forEach((it, i) => {
    const m = mark(it);
    const b = el("button", { type: "button", class: m.cls, "aria-label": `Record ${i + 1}: ${m.word}`, title: `${i + 1}: ${m.word}`, text: m.sym });
    if (i === state.index) b.setAttribute("aria-current", "true");
    b.tabIndex = i === state.index ? 0 : -1;  // one Tab stop for the strip; arrows move in it
    b.onclick = () => go(i);
    strip.append(el("li", {}, b));
  });
  if (!n) { $("card").hidden = true; $("bar").hidden = true; return; }
  const it = items[state.index];
  $("card").hidden = false; $("bar").hidden = false;
  const m = mark(it);
  $("meta").replaceChildren(el("strong", { text: `${state.index + 1} / ${n}` }), el("span", { text: it.kind }),
    el("span", { text: it.generator }), el("span", { text: it.record.id }),
    el("span", { class: "badge " + m.cls, text: `${m.sym} ${m.word}${it.verdict ? " by " + it.verdict.reviewer : ""}` }),
    ...(it.verdict && it.verdict.reasons.length ? [el("span", { text: "reasons: " + it.verdict.reasons.join(", ") })] : []));
  renderRecord(it);
  renderControls(it);
  $("prev").disabled = state.index === 0;
  $("next").disabled = state.index === n - 1;
  renderSummary(reviewed === n);
  document.body.style.setProperty("--bar", $("bar").offsetHeight + 16 + "px");
}

function renderSummary(finished) {
  const sum = state.sc && state.sc.summary;
  $("summary").hidden = !sum || !sum.reviewed;
  if (!sum || !sum.reviewed) return;
  $("done").textContent = finished ? `End of sample: all ${sum.size} records reviewed.` : `${sum.reviewed} of ${sum.size} reviewed so far.`;
  const gens = Object.entries(sum.by_generator);
  const t = el("table", {}, el("caption", { text: "Acceptance per generator, with 95% Wilson interval" }),
    el("thead", {}, el("tr", {}, ...["generator", "accepted", "reviewed", "rate", "95% interval"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...gens.map(([g, a]) => el("tr", {}, el("th", { scope: "row", text: g }), el("td", { text: String(a.accepted) }),
      el("td", { text: String(a.reviewed) }), el("td", { text: pct(a.rate) }), el("td", { text: `${pct(a.low)}–${pct(a.high)}` })))));
  const reasons = Object.entries(sum.by_reason);
  const r = reasons.length ? el("table", {}, el("caption", { text: "Reasons given" }),
    el("tbody", {}, ...reasons.map(([k, v]) => el("tr", {}, el("th", { scope: "row", text: k.replace(/_/g, " ") }), el("td", { text: String(v) }))))) : null;
  $("summary-body").replaceChildren(el("p", { text: "Overall: " + interval(sum.interval) }), el("div", { class: "scroll", tabindex: "0" }, t), ...(r ? [r] : []));
}

function go(i) {
  if (!state.sc || i < 0 || i >= state.sc.items.length) return;
  const inStrip = $("strip").contains(document.activeElement);
  state.index = i;
  render();
  if (inStrip) $("strip").querySelector('[aria-current="true"]').focus();
}

function say(text, kind) { const s = $("saved"); s.textContent = text; s.className = kind || ""; }

async function decide(verdict) {
  if (state.saving || !state.sc) return;  // one verdict per press: a double click must not judge the next record
  const it = state.sc.items[state.index], d = draft(it);
  if (!state.sc.verdicts[it.kind].includes(verdict)) return;
  d.pending = verdict;
  const reviewer = $("reviewer").value.trim();
  if (!reviewer) { say("Enter your name as reviewer first", "err"); connected(false); $("reviewer").focus(); return; }
  if (NEEDS_REASON.has(verdict) && !d.reasons.size) {
    say(`Pick a reason (1–${Math.min(9, state.sc.sample.reasons.length)}), then ${LABELS[verdict]} again`, "err");
    renderControls(it); return;
  }
  localStorage.setItem("synthgen-reviewer", reviewer);
  state.saving = true; renderControls(it);
  say("Saving…");
  const index = state.index;
  try {
    const r = await api("PUT", base() + "/spotcheck/" + encodeURIComponent(it.record.id),
                        { verdict, reviewer, reasons: [...d.reasons], note: d.note });
    it.verdict = await r.json();
    state.drafts.delete(it.record.id);
    say(`Saved ✓ record ${index + 1}: ${LABELS[verdict]}`, "ok");
    try { state.sc.summary = (await (await api("GET", base() + "/spotcheck")).json()).summary; } catch (e) {}
    const items = state.sc.items;
    const nextOpen = items.findIndex((x, k) => k > index && !x.verdict);
    const anyOpen = items.findIndex((x) => !x.verdict);
    state.index = nextOpen >= 0 ? nextOpen : anyOpen >= 0 ? anyOpen : index;
    state.saving = false;
    state.clickGuard = performance.now() + 500;
    render();
    if (anyOpen < 0) { $("summary").focus(); say(`Saved ✓ — end of sample, all ${items.length} reviewed`, "ok"); }
  } catch (e) {
    state.saving = false;
    say("Not saved: " + e.message, "err");
    renderControls(it);
  }
}

$("note").addEventListener("input", () => { if (state.sc) draft(state.sc.items[state.index]).note = $("note").value; });
$("raw").onchange = () => { if (state.sc) renderRecord(state.sc.items[state.index]); };

document.addEventListener("keydown", (ev) => {
  const typing = ev.target.matches && ev.target.matches("textarea, input:not([type=checkbox]), select");
  if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
    if (!state.sc) return;
    ev.preventDefault();
    const it = state.sc.items[state.index], d = draft(it);
    const v = d.pending || (it.verdict && it.verdict.verdict);
    if (v) decide(v); else say("Choose a verdict first (A or R)", "err");
    return;
  }
  if (ev.key === "Escape" && typing) { ev.target.blur(); return; }
  if (typing || ev.ctrlKey || ev.metaKey || ev.altKey || !state.sc || $("help").open && ev.key !== "?") return;
  const it = state.sc.items[state.index];
  const byKey = {};
  for (const v of state.sc.verdicts[it.kind]) byKey[KEYS[v]] = v;
  const k = ev.key.toLowerCase();
  if (byKey[k]) { ev.preventDefault(); decide(byKey[k]); }
  else if (k === "j" || ev.key === "ArrowRight") { ev.preventDefault(); go(state.index + 1); }
  else if (k === "k" || ev.key === "ArrowLeft") { ev.preventDefault(); go(state.index - 1); }
  else if (k === "n") { ev.preventDefault(); $("note").focus(); }
  else if (k === "m") { ev.preventDefault(); $("raw").checked = !$("raw").checked; renderRecord(it); }
  else if (k === "d") { ev.preventDefault(); $("pipeline").open = !$("pipeline").open; }
  else if (/^[1-9]$/.test(ev.key)) {
    const r = state.sc.sample.reasons[Number(ev.key) - 1];
    if (!r) return;
    ev.preventDefault();
    const d = draft(it);
    d.reasons.has(r) ? d.reasons.delete(r) : d.reasons.add(r);
    renderControls(it);
    say(`${d.reasons.has(r) ? "Reason" : "Removed"}: ${r.replace(/_/g, " ")}` + (d.pending && NEEDS_REASON.has(d.pending) ? ` — press ${KEYS[d.pending].toUpperCase()} or Ctrl+Enter to save` : ""));
  }
});
document.addEventListener("keydown", (ev) => {
  if (ev.key === "?" && !(ev.target.matches && ev.target.matches("textarea, input:not([type=checkbox])"))) {
    ev.preventDefault();
    $("help").open ? $("help").close() : $("help").showModal();
  }
});

async function exportVerdicts() {
  try {
    const blob = await (await api("GET", base() + "/spotcheck/export")).blob();
    const a = el("a", { href: URL.createObjectURL(blob), download: $("job").value.trim() + "-verdicts.ndjson" });
    document.body.append(a); a.click(); a.remove();
  } catch (e) { $("problem").textContent = "Export failed: " + e.message; }
}

$("connect").onsubmit = load;
$("draw-form").onsubmit = (ev) => draw(ev, false);
$("redraw").onclick = () => { if (confirm("Draw a new sample? This one has no verdicts yet.")) draw(null, true); };
$("prev").onclick = () => go(state.index - 1);
$("next").onclick = () => go(state.index + 1);
$("export").onclick = exportVerdicts;
$("help-open").onclick = () => $("help").showModal();
window.addEventListener("resize", () => { if (!$("bar").hidden) document.body.style.setProperty("--bar", $("bar").offsetHeight + 16 + "px"); });
// A review link signs in at once; a session still open (a reload) picks up where it was.
if ($("job").value && linkToken) load();
else api("GET", "/review/session").then(async (r) => { signedIn(await r.json()); if ($("job").value && $("reviewer").value) load(); }, () => {});
