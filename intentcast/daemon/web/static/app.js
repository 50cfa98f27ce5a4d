// intentcast web app: plain JavaScript, no library, no inline script.
// Everything it shows comes from the node's documented API (/v1/...,
// docs/daemon.md); it signs in with the session cookie the one-time link
// set, and sends the session's CSRF token with every change.
// Untrusted text (offers, vendor names) only ever goes into textContent.
"use strict";

const state = {
  csrf: null,
  vocab: null,
  status: null,
  lastEvent: 0,
  eventsSeen: 0, // events received since the app started
  eventsAtRoute: 0, // eventsSeen when the current view began
  refresh: null, // the current view's refresh, called when events arrive
  refreshTimer: null,
};

// --- DOM helpers -----------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = !!v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function view(...children) {
  const main = document.getElementById("view");
  main.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

function stateBadge(s) {
  return h("span", { class: `state state-${s}` }, s);
}

function fmtTime(unix) {
  if (!unix) return "";
  return new Date(unix * 1000).toLocaleString();
}

function fmtBytes(n) {
  if (n === null || n === undefined) return "in memory";
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// --- the API ---------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") {
    init.headers["X-CSRF-Token"] = state.csrf || "";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body === undefined ? {} : body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, "offline", "the node does not answer (stopped?)");
  }
  let data = null;
  try {
    data = await resp.json();
  } catch (e) {
    data = null;
  }
  if (!resp.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(resp.status, err.code || "http", err.message || `HTTP ${resp.status}`);
  }
  return data;
}

function showError(e) {
  view(
    h("h1", { tabindex: "-1" }, "Something went wrong"),
    h("p", { class: "notice bad", role: "alert" }, e.message),
  );
}

// --- routing ---------------------------------------------------------------

const routes = [
  [/^#\/post$/, () => postView()],
  [/^#\/intents$/, () => intentsView()],
  [/^#\/intent\/([0-9a-f]+)$/, (m) => intentView(m[1])],
  [/^#\/amend\/([0-9a-f]+)$/, (m) => amendView(m[1])],
  [/^#\/deals$/, () => dealsView()],
  [/^#\/deal\/([0-9a-f]+)$/, (m) => threadView(m[1])],
  [/^#\/ratings$/, () => ratingsView(null)],
  [/^#\/ratings\/([0-9a-f]{64})$/, (m) => ratingsView(m[1])],
  [/^#\/privacy$/, () => privacyView()],
  [/^#\/node$/, () => nodeView()],
  [/^#\/vendor$/, () => vendorView()],
];

async function route() {
  state.routeGen = (state.routeGen || 0) + 1;
  state.refresh = null;
  state.eventsAtRoute = state.eventsSeen;
  const hash = location.hash || defaultRoute();
  for (const a of document.querySelectorAll("#nav a")) {
    const here = hash === a.getAttribute("href") ||
      (a.getAttribute("href") === "#/intents" && /^#\/(intent|amend)\//.test(hash)) ||
      (a.getAttribute("href") === "#/deals" && /^#\/deal\//.test(hash));
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  for (const [re, fn] of routes) {
    const m = hash.match(re);
    if (m) {
      const t0 = performance.now();
      try {
        await fn(m);
      } catch (e) {
        showError(e);
      }
      // How long the page took, to its first painted frame (the webapp benchmark reads it).
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      document.body.dataset.renderMs = (performance.now() - t0).toFixed(1);
      document.body.dataset.rendered = hash;
      document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
      const h1 = document.querySelector("#view h1");
      if (h1 && document.activeElement === document.body) h1.focus();
      return;
    }
  }
  location.hash = defaultRoute();
}

function defaultRoute() {
  const roles = (state.vocab && state.vocab.roles) || [];
  return roles.includes("customer") ? "#/intents" : "#/vendor";
}

function focusHeading() {
  const h1 = document.querySelector("#view h1");
  if (h1) h1.focus();
}

// --- live events (long polling of GET /v1/events) --------------------------

function addActivity(ev) {
  const list = document.getElementById("activity");
  const when = new Date(ev.at * 1000).toLocaleTimeString();
  const what = ev.detail || (ev.subject ? String(ev.subject).slice(0, 16) : "");
  list.prepend(h("li", {}, h("span", { class: "muted" }, when), " ", ev.kind, ": ", what));
  while (list.children.length > 50) list.lastChild.remove();
}

async function follow() {
  const live = document.getElementById("live-state");
  for (;;) {
    try {
      const data = await api("GET", `/v1/events?since=${state.lastEvent}&timeout=25`);
      live.textContent = "live: following the node's events";
      for (const ev of data.events) addActivity(ev);
      if (data.events.length) {
        state.eventsSeen += data.events.length;
        state.lastEvent = data.events[data.events.length - 1].seq;
        scheduleRefresh();
        refreshToAnswer(data.events);
      } else if (data.last < state.lastEvent) {
        state.lastEvent = data.last; // the node restarted
      }
    } catch (e) {
      live.textContent = `not live: ${e.message}; retrying`;
      if (e.status === 401) return signedOut();
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

// A view's refresh, from now on; events that came while the view was being
// built (before it could listen) get it redrawn once more.
function live(render) {
  state.refresh = render;
  if (state.eventsSeen !== state.eventsAtRoute) scheduleRefresh();
}

// The navigation's count of accepts waiting for the owner (vendor nodes).
function showToAnswer(status) {
  const badge = document.getElementById("to-answer-count");
  const n = (status && status.vendor && status.vendor.to_answer) || 0;
  badge.textContent = n ? ` ${n} to answer` : "";
  badge.hidden = !n;
}

const DEAL_EVENTS = new Set(["accept-received", "deal-confirmed", "deal-declined"]);

async function refreshToAnswer(events) {
  if (!state.vocab.roles.includes("vendor") || !events.some((ev) => DEAL_EVENTS.has(ev.kind))) return;
  try {
    showToAnswer(await api("GET", "/v1/status"));
  } catch (e) {
    // the next deal event tries again
  }
}

function scheduleRefresh() {
  if (!state.refresh || state.refreshTimer) return;
  state.refreshTimer = setTimeout(async () => {
    state.refreshTimer = null;
    const fn = state.refresh;
    const typing = document.activeElement && document.activeElement.closest("#view") &&
      document.activeElement.matches("input, textarea, select");
    if (fn && fn === state.refresh && typing) {
      setTimeout(scheduleRefresh, 1000); // never redraw under the user's hands
      return;
    }
    if (fn && fn === state.refresh) {
      const gen = state.routeGen;
      try {
        await fn();
      } catch (e) {
        setTimeout(scheduleRefresh, 1000); // the node was busy or restarting: try again
      }
      // The user moved to another page while this one was redrawn: the late
      // redraw of the old page may have covered the new one, so draw it again.
      if (state.routeGen !== gen && state.refresh) {
        try {
          await state.refresh();
        } catch (e) {
          setTimeout(scheduleRefresh, 1000);
        }
      }
    }
  }, 150);
}

// --- post an intent --------------------------------------------------------

function field(id, label, input, hint) {
  input.id = id;
  const err = h("p", { class: "error", id: `err-${id}`, "aria-live": "polite" });
  const describedBy = [`err-${id}`];
  let hintEl = null;
  if (hint) {
    hintEl = h("p", { class: "hint", id: `hint-${id}` }, hint);
    describedBy.push(`hint-${id}`);
  }
  input.setAttribute("aria-describedby", describedBy.join(" "));
  return h("div", { class: "field", "data-field": id }, h("label", { for: id }, label), input, hintEl, err);
}

function datalist(id, values) {
  return h("datalist", { id }, values.map((v) => h("option", { value: v })));
}

function checkGroup(name, legend, meanings, checked, errId) {
  return h(
    "fieldset",
    { id: name, "aria-describedby": `err-${errId}` },
    h("legend", {}, legend),
    Object.entries(meanings).map(([value, meaning]) =>
      h(
        "label",
        {},
        h("input", { type: "checkbox", name, value, checked: checked.includes(value) }),
        h("span", {}, h("code", {}, value), meaning ? ` — ${meaning}` : ""),
      ),
    ),
    h("p", { class: "error", id: `err-${errId}`, "aria-live": "polite" }),
  );
}

// Where an API message "terms.currency: ..." belongs in the form.
const FIELD_OF = {
  category: "f-category",
  title: "f-title",
  description: "f-description",
  quantity: "f-quantity",
  attributes: "f-attributes",
  lifetime_days: "f-lifetime",
  preferences: "f-preferences",
  "terms.max_price": "f-max-price",
  "terms.currency": "f-currency",
  "terms.region": "f-region",
  "terms.deliver_by": "f-deliver",
  "terms.deliver_within_days": "f-deliver",
  "terms.customer_terms": "f-terms",
  "terms.payment_modes": "f-pay",
  "terms.min_stars": "f-min-stars",
  "terms.min_rating": "f-min-stars",
};

function clearErrors(form) {
  for (const el of form.querySelectorAll(".error")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

function placeError(form, message) {
  const m = message.match(/^([a-z_]+(?:\.[a-z_]+)*)(?:\[\d+\])?: /);
  let target = null;
  if (m) {
    let path = m[1];
    while (path && !FIELD_OF[path]) path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    if (path) target = FIELD_OF[path];
  }
  const errEl = form.querySelector(`#err-${target || "form"}`);
  errEl.textContent = message;
  const input = target && form.querySelector(`#${target}`);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  } else {
    errEl.focus();
  }
}

function parseAttributes(text) {
  const out = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const i = line.indexOf("=");
    if (i <= 0) throw new Error(`attributes: ${JSON.stringify(line)} is not name=value`);
    const name = line.slice(0, i).trim();
    let value = line.slice(i + 1).trim();
    if (/^(true|false)$/i.test(value)) value = value.toLowerCase() === "true";
    else if (/^-?[0-9]{1,15}$/.test(value)) value = parseInt(value, 10);
    out[name] = value;
  }
  return out;
}

function intentForm(opts) {
  const v = state.vocab;
  const cur = opts.current;
  const t = cur ? cur.terms : null;
  const amend = !!cur;
  const num = (attrs) => h("input", { type: "number", ...attrs });
  const prefs = cur ? cur.preferences : {};
  const form = h(
    "form",
    { novalidate: true, id: "intent-form" },
    h("p", { class: "error", id: "err-form", tabindex: "-1", role: "alert" }),
    field(
      "f-category",
      "Category",
      h("input", { list: "categories", value: cur ? cur.category : "", autocomplete: "off", required: !amend, disabled: amend }),
      "Type to search the categories; a path like electronics/phones narrows it.",
    ),
    datalist("categories", v.categories),
    field("f-title", "What you want", h("input", { value: cur ? cur.title : "", required: !amend }), "In a few words."),
    field("f-description", "More detail", h("textarea", { rows: 3 }, cur ? cur.description : "")),
    h(
      "div",
      { class: "row" },
      field("f-quantity", "Quantity", num({ min: 1, step: 1, value: cur ? cur.quantity : 1 })),
      field("f-max-price", "Most you pay (for the whole quantity)", h("input", { inputmode: "decimal", value: t ? (t.max_price_text || "").replace(/[^0-9.]/g, "") : "", required: !amend }), "e.g. 600 or 599.90"),
      field("f-currency", "Currency", h("input", { list: "currencies", value: t ? t.currency : "EUR", autocomplete: "off" }), "ISO 4217, e.g. EUR"),
    ),
    datalist("currencies", v.currencies),
    h(
      "div",
      { class: "row" },
      field("f-region", "Deliver to", h("input", { list: "countries", value: t ? t.region : "DE", autocomplete: "off" }), "Country code (DE) or geohash"),
      field("f-deliver", "Deliver within (days)", num({ min: 1, step: "any" }), amend ? "Empty: keep the date." : ""),
      field("f-min-stars", "Lowest vendor rating (stars)", num({ min: 0, max: 5, step: 0.5, value: t && t.min_stars ? t.min_stars : "" })),
      field("f-lifetime", "Intent stays live (days)", num({ min: 0.1, step: "any", value: amend ? "" : 7 }), amend ? "Empty: keep it." : ""),
    ),
    datalist("countries", v.countries),
    checkGroup("f-pay", "Payment modes you accept", v.payment_modes, t ? t.payment_modes : ["prepay", "pay-on-delivery"], "f-pay"),
    checkGroup("f-terms", "Your terms (Customer Commons): the vendor must sign them", v.customer_terms, t ? t.customer_terms : ["cc:no-tracking"], "f-terms"),
    field("f-attributes", "Attributes you want", h("textarea", { rows: 3, placeholder: "brand=google\nstorage_gb=128" }, cur ? Object.entries(cur.attributes).map(([k, x]) => `${k}=${x}`).join("\n") : ""), "One name=value per line."),
    h(
      "fieldset",
      { id: "f-preferences", "aria-describedby": "err-f-preferences" },
      h("legend", {}, "What matters most (weights, 0-100; only ratios count)"),
      h(
        "div",
        { class: "row" },
        v.preference_criteria.map((c) =>
          h("div", { class: "field" }, h("label", { for: `f-pref-${c}` }, c), num({ id: `f-pref-${c}`, min: 0, max: 100, step: 1, value: prefs[c] === undefined ? "" : prefs[c] })),
        ),
      ),
      h("p", { class: "error", id: "err-f-preferences" }),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "submit-intent" }, amend ? "Publish the amendment" : "Post the intent")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    let draft;
    try {
      draft = readDraft(form, amend, cur);
    } catch (err) {
      placeError(form, err.message);
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const data = await opts.submit(draft);
      location.hash = `#/intent/${data.intent.key}`;
    } catch (err) {
      placeError(form, err.message);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function readDraft(form, amend, cur) {
  const val = (id) => form.querySelector(`#${id}`).value.trim();
  const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((x) => x.value);
  const draft = {};
  const terms = {};
  if (!amend) {
    if (!val("f-category")) throw new Error("category: required: pick or type one");
    draft.category = val("f-category");
    if (!val("f-title")) throw new Error("title: required: say what you want");
    if (!val("f-max-price")) throw new Error("terms.max_price: required: the most you pay");
  }
  const setIf = (obj, key, value, old) => {
    if (value === "" || value === null || value === undefined) return;
    if (amend && JSON.stringify(value) === JSON.stringify(old)) return;
    obj[key] = value;
  };
  setIf(draft, "title", val("f-title"), cur && cur.title);
  setIf(draft, "description", val("f-description"), cur && cur.description);
  if (val("f-quantity")) setIf(draft, "quantity", Number(val("f-quantity")), cur && cur.quantity);
  const attrs = parseAttributes(form.querySelector("#f-attributes").value);
  if (Object.keys(attrs).length || (cur && Object.keys(cur.attributes).length)) setIf(draft, "attributes", attrs, cur && cur.attributes);
  if (val("f-lifetime")) draft.lifetime_days = Number(val("f-lifetime"));
  const t = cur ? cur.terms : {};
  const oldPrice = t.max_price_text ? t.max_price_text.replace(/[^0-9.]/g, "") : undefined;
  setIf(terms, "max_price", val("f-max-price"), oldPrice);
  setIf(terms, "currency", val("f-currency").toUpperCase(), t.currency);
  setIf(terms, "region", val("f-region"), t.region);
  if (val("f-deliver")) terms.deliver_within_days = Number(val("f-deliver"));
  if (val("f-min-stars")) setIf(terms, "min_stars", Number(val("f-min-stars")), t.min_stars);
  setIf(terms, "payment_modes", checked("f-pay"), t.payment_modes);
  setIf(terms, "customer_terms", checked("f-terms"), t.customer_terms);
  if (Object.keys(terms).length) draft.terms = terms;
  const prefs = {};
  for (const c of state.vocab.preference_criteria) {
    const x = form.querySelector(`#f-pref-${c}`).value.trim();
    if (x !== "") prefs[c] = Number(x);
  }
  if (Object.keys(prefs).length) setIf(draft, "preferences", prefs, cur && cur.preferences);
  return draft;
}

async function postView() {
  view(
    h("h1", { tabindex: "-1" }, "Post an intent"),
    h("p", { class: "muted" }, "Say what you want, on your terms. It goes out signed with a key used for this intent only; vendors answer with sealed offers only you can read."),
    intentForm({ submit: (draft) => api("POST", "/v1/intents", draft) }),
  );
}

async function amendView(key) {
  const data = await api("GET", `/v1/intents/${key}`);
  const i = data.intent;
  view(
    h("h1", { tabindex: "-1" }, `Amend: ${i.title}`),
    h("p", { class: "muted" }, "Change what you need; the rest stays. Offers to the older revision stop counting."),
    intentForm({ current: i, submit: (draft) => api("POST", `/v1/intents/${i.key}/amend`, draft) }),
  );
}

// --- my intents ------------------------------------------------------------

const INTENTS_SHOWN = 100; // the newest; the count says how many there are

async function intentsView() {
  const render = async () => {
    const data = await api("GET", `/v1/intents?limit=${INTENTS_SHOWN}`);
    const rows = data.intents.map((i) =>
      h(
        "tr",
        {},
        h("td", {}, h("a", { href: `#/intent/${i.key}` }, i.title)),
        h("td", {}, i.category),
        h("td", {}, stateBadge(i.state)),
        h("td", {}, i.terms.max_price_text),
        h("td", { class: "offers-count" }, String(i.offers)),
        h("td", {}, fmtTime(i.created)),
      ),
    );
    view(
      h("h1", { tabindex: "-1" }, "My intents"),
      h("p", {}, h("a", { class: "button", href: "#/post" }, "Post a new intent")),
      data.intents.length
        ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "intents" },
            h("caption", { class: "muted" }, data.total > data.intents.length
              ? `the newest ${data.intents.length} of ${data.total} intents`
              : `${data.total} intents, newest first`),
            h("thead", {}, h("tr", {}, ["What", "Category", "State", "At most", "Offers", "Posted"].map((x) => h("th", { scope: "col" }, x)))),
            h("tbody", {}, rows),
          ),
        )
        : h("p", {}, "No intents yet."),
    );
  };
  await render();
  live(render);
}

// --- one intent: live offers, accept, withdraw -----------------------------

function bars(r) {
  const grid = h("div", { class: "bars" });
  for (const [k, v] of Object.entries(r.breakdown)) {
    const max = r.out_of[k] || 0;
    const id = `bar-${r.offer.id.slice(0, 12)}-${k}`;
    grid.append(
      h("label", { for: id }, k),
      h("meter", { id, min: 0, max: max || 1, value: v }),
      h("span", { class: "muted" }, `${Number(v).toFixed(1)} / ${max}`),
    );
  }
  return grid;
}

function acceptPanel(intent, r, onDone) {
  const o = r.offer;
  const profile = state.vocab.profile;
  const modes = o.payment_modes.filter((m) => intent.terms.payment_modes.length === 0 || intent.terms.payment_modes.includes(m));
  const idp = o.id.slice(0, 12);
  const priceField = field(`price-${idp}`, `Your price (${o.currency}, at least the floor)`, h("input", { inputmode: "decimal" }),
    `Floor: ${o.price_floor_text || o.price_text}; the offer's price: ${o.price_text}`);
  priceField.hidden = true;
  const modeSelect = h("select", {}, modes.map((m) => h("option", { value: m }, m)));
  modeSelect.addEventListener("change", () => {
    priceField.hidden = modeSelect.value !== "name-your-price";
  });
  const names = Object.keys(profile);
  const form = h(
    "form",
    { class: "accept-form", novalidate: true },
    h(
      "fieldset",
      {},
      h("legend", {}, `What ${o.vendor} may learn about you (only for this deal)`),
      names.length
        ? names.map((n) => h("label", {}, h("input", { type: "checkbox", name: `disclose-${idp}`, value: n, checked: true }), h("span", {}, h("strong", {}, n), `: ${profile[n]}`)))
        : h("p", { class: "hint" }, "Your profile is empty: add contact and shipping under [profile] in config.toml to share them."),
    ),
    field(`mode-${idp}`, "Payment mode", modeSelect),
    priceField,
    h("p", { class: "error", id: `err-accept-${idp}`, role: "alert", tabindex: "-1" }),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "confirm-accept" }, `Accept ${o.vendor}'s offer`),
      h("button", { type: "button", class: "secondary", onclick: () => { form.remove(); scheduleRefresh(); } }, "Cancel")),
  );
  if (modeSelect.value === "name-your-price") priceField.hidden = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = form.querySelector(`#err-accept-${idp}`);
    err.textContent = "";
    const body = {
      disclose: [...form.querySelectorAll(`input[name="disclose-${idp}"]:checked`)].map((x) => x.value),
      payment_mode: modeSelect.value,
    };
    const priceInput = form.querySelector(`#price-${idp}`);
    const priceErr = form.querySelector(`#err-price-${idp}`);
    priceErr.textContent = "";
    priceInput.removeAttribute("aria-invalid");
    const named = modeSelect.value === "name-your-price";
    const priceError = (message) => {
      priceErr.textContent = message;
      priceInput.setAttribute("aria-invalid", "true");
      priceInput.focus();
    };
    if (named) {
      // An amount string: the node reads it in the currency's own minor units.
      const text = priceInput.value.trim();
      if (!text) return priceError("price: give the amount you pay, e.g. 450 or 449.90");
      body.price = text;
    }
    form.querySelector("button[type=submit]").disabled = true;
    try {
      await api("POST", `/v1/offers/${o.id}/accept`, body);
      onDone();
    } catch (ex) {
      form.querySelector("button[type=submit]").disabled = false;
      if (named && /price/i.test(ex.message)) return priceError(ex.message);
      err.textContent = ex.message;
      err.focus();
    }
  });
  return form;
}

async function intentView(key) {
  let openAccept = null; // keep an open accept form across live refreshes
  const render = async () => {
    const choosing = () => openAccept && document.body.contains(openAccept);
    if (choosing()) return; // do not pull the form away mid-choice
    const data = await api("GET", `/v1/intents/${key}/offers`);
    if (choosing()) return; // the owner opened it while the offers were being fetched
    const i = data.intent;
    const t = i.terms;
    const open = i.state === "open" || i.state === "amended"; // amended: open, a later revision
    const ranked = data.ranked.map((r) => {
      const card = h(
        "article",
        { class: "card offer", "data-offer": r.offer.id, "aria-labelledby": `o-${r.offer.id.slice(0, 12)}` },
        h("h3", { id: `o-${r.offer.id.slice(0, 12)}` }, `#${r.rank} ${r.offer.vendor}: ${r.offer.item.title}`),
        h("p", {}, h("span", { class: "score" }, `score ${r.score}`), " · ", h("strong", {}, r.offer.price_text),
          " · delivery by ", fmtTime(r.offer.deliver_by), " · ", h("span", { class: "vendor-rating" }, r.vendor_rating || `${r.rating_stars} stars`),
          " · ", ratingsLink(r.offer.vendor_key, r.offer.vendor)),
        bars(r),
        h("p", { class: "why" }, h("strong", {}, "Why: "), r.explanation),
        h("p", { class: "hint" }, "Signs your terms: ", r.offer.customer_terms.join(", ") || "none", " · pays: ", r.offer.payment_modes.join(", ")),
      );
      if (open) {
        const btn = h("button", { type: "button", class: "accept" }, "Accept...");
        btn.addEventListener("click", () => {
          if (card.querySelector(".accept-form")) return;
          openAccept = acceptPanel(i, r, () => {
            openAccept = null;
            location.hash = "#/deals";
          });
          card.append(openAccept);
          openAccept.querySelector("input, select").focus();
        });
        card.append(h("div", { class: "actions" }, btn));
      }
      return card;
    });
    const rejected = data.rejected.map((r) =>
      h(
        "article",
        { class: "card rejected" },
        h("h3", {}, `${r.offer.vendor}: ${r.offer.item.title} (${r.offer.price_text})`),
        h("ul", { class: "reasons" }, r.reasons.map((x) => h("li", {}, x))),
        h("p", { class: "hint" }, r.explanation),
      ),
    );
    const withdrawForm = h(
      "form",
      { class: "actions", id: "withdraw-form" },
      h("label", { for: "withdraw-reason", class: "sr" }, "Reason (optional)"),
      h("input", { id: "withdraw-reason", placeholder: "bought elsewhere" }),
      h("button", { type: "submit", class: "danger" }, "Withdraw the intent"),
      h("p", { class: "error", id: "err-withdraw", role: "alert" }),
    );
    withdrawForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await api("POST", `/v1/intents/${i.key}/withdraw`, { reason: withdrawForm.querySelector("#withdraw-reason").value });
        await render();
        focusHeading();
      } catch (ex) {
        withdrawForm.querySelector("#err-withdraw").textContent = ex.message;
      }
    });
    view(
      h("h1", { tabindex: "-1" }, i.title, " ", stateBadge(i.state)),
      h(
        "dl",
        { class: "facts card" },
        h("dt", {}, "Category"), h("dd", {}, i.category),
        h("dt", {}, "At most"), h("dd", {}, `${t.max_price_text} for ${i.quantity}`),
        h("dt", {}, "Deliver to"), h("dd", {}, `${t.region}${t.deliver_by ? ", by " + fmtTime(t.deliver_by) : ""}`),
        h("dt", {}, "Your terms"), h("dd", {}, t.customer_terms.join(", ") || "none"),
        h("dt", {}, "Payment"), h("dd", {}, t.payment_modes.join(", ") || "any"),
        h("dt", {}, "Revision"), h("dd", {}, `${i.revision} (live until ${fmtTime(i.expires)})`),
        h("dt", {}, "Key"), h("dd", { class: "mono" }, i.key),
      ),
      open ? h("div", { class: "actions" }, h("a", { class: "button secondary", href: `#/amend/${i.key}` }, "Amend"), withdrawForm) : null,
      h("h2", {}, `Ranked offers (${data.ranked.length})`),
      h("div", { id: "ranked", "aria-live": "polite" }, ranked.length ? ranked : h("p", { class: "muted" }, open ? "Waiting for offers: they appear here as they arrive." : "No acceptable offers.")),
      h("h2", {}, `Rejected offers (${data.rejected.length})`),
      h("div", { id: "rejected" }, rejected.length ? rejected : h("p", { class: "muted" }, "None.")),
    );
  };
  await render();
  live(render);
}

// --- deals -----------------------------------------------------------------

// The deal whose card holds the keyboard's focus inside ``css`` (a notice
// that replaced a form), so that a live redraw can put the focus back on
// what the redrawn card shows in its place (``refocus``).
function focusedCard(css) {
  const a = document.activeElement;
  const inside = a && a.closest && a.closest(css);
  const card = inside && inside.closest("#view [data-deal]");
  return card ? card.dataset.deal : null;
}

function refocus(deal, css) {
  if (!deal) return;
  const el = document.querySelector(`#view [data-deal='${deal}'] ${css}`);
  if (!el) return;
  el.setAttribute("tabindex", "-1");
  el.focus();
}

// Vendor names by vendor key, as the pages met them (the ratings page's title).
const vendorNames = new Map();

function ratingsLink(vendorKey, name) {
  vendorNames.set(vendorKey, name);
  return h("a", { href: `#/ratings/${vendorKey}`, class: "ratings-link" }, `${name}'s verified ratings`);
}

function dimensionsText(dims) {
  return Object.entries(dims || {}).map(([k, v]) => `${k} ${Number(v).toFixed(2)}`).join(", ");
}

function starsText(stars) {
  return `${Number(stars).toFixed(2)} stars`;
}

// This node's own rating of a deal and when it leaves: it waits for a random
// time, so the moment it appears says nothing about when the deal was made.
function ownRating(r) {
  const dims = dimensionsText(r.dimensions);
  return h(
    "div",
    { class: "own-rating", "data-rating": r.id },
    h("p", {}, h("strong", {}, "Your rating: "), starsText(r.stars), dims ? ` (${dims})` : "", r.text ? ` "${r.text}"` : ""),
    h("p", { class: "hint rating-leaves" }, r.sent
      ? `It left at ${fmtTime(r.send_at)}: other nodes can verify it now.`
      : `It leaves at ${fmtTime(r.send_at)} (a random time, so that when it appears says nothing about you). Rating again replaces it.`),
  );
}

const RATING_FIELDS = [
  ["stars", "Stars (0-5)"],
  ["described", "As described (optional)"],
  ["on_time", "On time (optional)"],
  ["communication", "Communication (optional)"],
];

// "Rate this deal": stars, the three optional dimensions, a short text.
// ``drafts`` keeps what was typed across the page's live redraws.
function rateForm(d, drafts, close) {
  const idp = d.id.slice(0, 12);
  const draft = drafts.get(d.id) || {};
  drafts.set(d.id, draft);
  const idOf = (name) => `rate-${name.replace("_", "-")}-${idp}`;
  const keep = (name) => (e) => { draft[name] = e.target.value; };
  const numbers = RATING_FIELDS.map(([name, label]) =>
    field(idOf(name), label, h("input", { type: "number", min: 0, max: 5, step: 0.5, value: draft[name] || "", oninput: keep(name) })));
  const form = h(
    "form",
    { class: "rate-form", novalidate: true, "aria-labelledby": `rate-title-${idp}` },
    h("h4", { id: `rate-title-${idp}` }, d.rating ? "Rate this deal again (replaces your rating)" : "Rate this deal"),
    h("p", { class: "hint" }, "In public, signed with this deal's one-time key: nodes can check a real deal stands behind it, not who you are."),
    h("div", { class: "row" }, numbers),
    field(idOf("text"), "A few words (optional, 280 characters)", h("textarea", { rows: 2, maxlength: 280, oninput: keep("text") }, draft.text || "")),
    h("p", { class: "error", id: `err-rate-${idp}`, role: "alert", tabindex: "-1" }),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "send-rating" }, d.rating ? "Replace my rating" : "Send the rating"),
      h("button", { type: "button", class: "secondary", onclick: () => { close(); scheduleRefresh(); } }, "Cancel")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const fail = (name, message) => {
      const input = name && form.querySelector(`#${idOf(name)}`);
      const err = form.querySelector(input ? `#err-${idOf(name)}` : `#err-rate-${idp}`);
      err.textContent = message;
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      } else {
        err.focus();
      }
    };
    const body = {};
    for (const [name] of RATING_FIELDS) {
      const input = form.querySelector(`#${idOf(name)}`);
      if (input.validity.badInput) return fail(name, `${name}: not a number`);
      if (input.value.trim() !== "") body[name] = Number(input.value);
    }
    if (body.stars === undefined) return fail("stars", "stars: required: give 0 to 5 stars");
    const text = form.querySelector(`#${idOf("text")}`).value.trim();
    if (text) body.text = text;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const r = await api("POST", `/v1/deals/${d.id}/rate`, body);
      drafts.delete(d.id);
      close();
      const done = h("div", { class: "notice rated", role: "status", tabindex: "-1" }, ownRating({ ...r.rating }));
      form.replaceWith(done);
      done.focus();
      scheduleRefresh();
    } catch (ex) {
      button.disabled = false;
      const m = ex.message.match(/^([a-z_]+): /);
      const name = m && [...RATING_FIELDS.map(([n]) => n), "text"].includes(m[1]) ? m[1] : null;
      fail(name, ex.message);
    }
  });
  return form;
}

// A form that opens on demand, behind a button (a hundred deals' or a shop's
// hundreds of ratings' forms would slow the page). `opened` holds the ids
// whose form is open, so a redraw keeps it open; `form(close)` draws it and
// `focus` names the field the keyboard goes to.
function openOnDemand(id, opened, label, buttonClass, form, focus) {
  const close = () => opened.delete(id);
  if (opened.has(id)) return form(close);
  const button = h("button", { type: "button", class: `secondary ${buttonClass}` }, label);
  const holder = h("div", { class: "actions" }, button);
  button.addEventListener("click", () => {
    opened.add(id);
    const drawn = form(close);
    holder.replaceWith(drawn);
    drawn.querySelector(focus).focus();
  });
  return holder;
}

function rateButton(d, drafts, opened) {
  const label = d.rating ? "Rate again (replaces your rating)" : "Rate this deal";
  return openOnDemand(d.id, opened, label, "open-rate", (close) => rateForm(d, drafts, close), "input");
}

async function dealsView() {
  const drafts = new Map(); // deal id -> the rating being written
  const opened = new Set(); // deals whose rating form is open
  const render = async () => {
    const rated = focusedCard(".rated"); // the keyboard goes on from the rating shown
    const data = await api("GET", "/v1/deals");
    const cards = data.deals.map((d) => {
      const learned = Object.entries(d.disclosed);
      const asCustomer = d.role === "customer";
      const confirmed = d.state === "confirmed";
      const rateable = asCustomer && confirmed && d.reply && d.reply.receipt;
      return h(
        "article",
        { class: "card deal", "data-deal": d.id },
        h("h3", {}, `${d.offer.vendor}: ${d.offer.item.title} `, stateBadge(d.state)),
        h("p", {}, h("strong", {}, d.price_text), ` · ${d.payment_mode} · for your intent "${d.intent.title}"`, asCustomer ? "" : " (you are the vendor)"),
        h("h4", {}, asCustomer ? `What ${d.offer.vendor} learned about you` : "What the customer told you"),
        learned.length
          ? h("ul", { class: "learned" }, learned.map(([k, v]) => h("li", {}, h("strong", {}, k), `: ${v}`)))
          : h("p", {}, "Nothing beyond the deal itself."),
        h("p", { class: "hint" }, "The vendor signed these terms: ", d.offer.customer_terms.join(", ") || "none"),
        d.reply
          ? h("p", { class: "reply" }, h("strong", {}, `${d.reply.kind}: `), d.reply.text)
          : d.to_answer
            ? h("p", { class: "notice" }, "Waits for your answer: ", h("a", { href: "#/vendor" }, "confirm or decline it on the Vendor page"), ".")
            : h("p", { class: "muted" }, asCustomer ? "Waiting for the vendor's answer..." : "Being answered by your catalog or bot..."),
        d.vendor_rating ? h("p", { class: "hint vendor-rating" }, `${d.offer.vendor}: ${d.vendor_rating} · `, ratingsLink(d.offer.vendor_key, d.offer.vendor)) : "",
        confirmed ? h("p", {}, h("a", { href: `#/deal/${d.id}`, class: "thread-link" }, asCustomer ? `Messages with ${d.offer.vendor}` : "Messages with the customer")) : null,
        d.rating ? ownRating(d.rating) : null,
        rateable ? rateButton(d, drafts, opened) : null,
        h("p", { class: "hint mono" }, `deal ${d.id.slice(0, 12)}`),
      );
    });
    view(h("h1", { tabindex: "-1" }, "Deals"), cards.length ? h("div", { id: "deals" }, cards) : h("p", {}, "No deals yet."));
    refocus(rated, ".own-rating");
  };
  await render();
  live(render);
}

// --- a vendor's verified ratings; the vendor's own, with replies -----------

function replyButton(r, drafts, opened) {
  const label = r.reply ? "Replace your reply" : "Reply";
  return openOnDemand(r.deal, opened, label, "open-reply", (close) => replyForm(r, drafts, close), "textarea");
}

function replyForm(r, drafts, close) {
  const idp = r.deal.slice(0, 12);
  const id = `reply-text-${idp}`;
  const input = h("textarea", { rows: 2, maxlength: 500, oninput: (e) => drafts.set(r.deal, e.target.value) }, drafts.get(r.deal) || "");
  const form = h(
    "form",
    { class: "reply-form", novalidate: true },
    field(id, r.reply ? "Replace your public reply" : "Your public reply", input, "Everyone who sees the rating sees it."),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "send-reply" }, "Send the reply"),
      h("button", { type: "button", class: "secondary", onclick: () => { close(); scheduleRefresh(); } }, "Cancel")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const text = input.value.trim();
    const fail = (message) => {
      form.querySelector(`#err-${id}`).textContent = message;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    };
    if (!text) return fail("text: required: write your reply");
    form.querySelector("button").disabled = true;
    try {
      await api("POST", `/v1/ratings/${r.deal}/reply`, { text });
      drafts.delete(r.deal);
      close();
      const done = h("p", { class: "notice replied", role: "status", tabindex: "-1" }, "Reply sent: it is public now.");
      form.replaceWith(done);
      done.focus();
      scheduleRefresh();
    } catch (ex) {
      form.querySelector("button").disabled = false;
      fail(ex.message);
    }
  });
  return form;
}

async function ratingsView(vendorKey) {
  const mine = !vendorKey;
  const drafts = new Map(); // deal id -> the reply being written
  const opened = new Set(); // deals whose reply form is open
  const render = async () => {
    const replied = focusedCard(".replied"); // the keyboard goes on from the reply shown
    const data = await api("GET", mine ? "/v1/ratings" : `/v1/ratings?vendor=${vendorKey}`);
    const s = data.standing;
    const name = mine ? (state.status && state.status.vendor && state.status.vendor.name) || "your shop" : s.name || vendorNames.get(vendorKey);
    const own = s.own_deals;
    const cards = data.ratings.map((r) => h(
      "article",
      { class: "card rating", "data-deal": r.deal },
      h("h3", {}, starsText(r.stars), r.text ? `: "${r.text}"` : ""),
      Object.keys(r.dimensions).length ? h("p", {}, dimensionsText(r.dimensions)) : null,
      h("p", { class: "hint" }, `Rated ${fmtTime(r.rated)} · a deal confirmed ${fmtTime(r.confirmed)} · deal ${r.deal.slice(0, 12)}`),
      r.reply ? h("p", { class: "rating-reply" }, h("strong", {}, mine ? "Your reply: " : "The vendor's reply: "), r.reply) : null,
      mine ? replyButton(r, drafts, opened) : null,
    ));
    view(
      h("h1", { tabindex: "-1" }, mine ? "Your ratings" : `Verified ratings of ${name || "a vendor"}`),
      h("p", { class: "hint mono" }, `vendor key ${s.vendor_key}`),
      h("p", { class: "standing" }, h("strong", {}, "Standing: "), s.line, s.stars === null ? "" : ` (plain mean ${Number(s.stars).toFixed(2)} stars)`),
      mine ? null : h("p", { class: "hint" }, `Your own deals with it (never published): ${own.confirmed} confirmed, ${own.declined} declined, ${own.pending} without an answer.`),
      h("p", { class: "muted" }, "Each rating comes from a deal the vendor confirmed with a signed receipt, and is signed by that deal's one-time key."),
      h("h2", {}, `Ratings (${data.ratings.length})`),
      cards.length ? h("div", { id: "ratings" }, cards) : h("p", {}, "No verified ratings yet."),
    );
    refocus(replied, ".rating-reply");
  };
  await render();
  live(render);
}

// --- a deal's message thread (both sides) -----------------------------------

const MESSAGE_TYPES = ["status", "shipped", "delivered", "return", "cancel", "other"];

function threadEntryText(e, rel) {
  const c = e.content;
  if (c === null) return "(deleted)";
  if (e.kind === "deal-message") return `${c.type}${c.text ? ": " + c.text : ""}`;
  if (e.kind === "profile-update") return c.value === null ? `removed ${c.field}` : `changed ${c.field} to ${c.value}`;
  if (e.kind === "forget") return `asked to delete what the shop holds${c.reason ? ": " + c.reason : ""}`;
  if (e.kind === "deal-ack") {
    const fields = (c.fields || []).join(", ") || "the deal";
    return c.deleted ? `statement of deletion: ${fields} deleted ${fmtTime(c.deleted)}` : `acknowledged ${fields}`;
  }
  return e.kind;
}

async function threadView(dealId) {
  const draft = { type: null, text: "", re: null }; // kept across the page's live redraws
  let notice = null;
  const render = async () => {
    const { deal: d } = await api("GET", `/v1/deals/${dealId}`);
    let rel = null;
    try {
      rel = (await api("GET", `/v1/relationships/${d.id}`)).relationship;
    } catch (e) {
      if (e.status !== 404) throw e; // no relationship: the deal is not confirmed
    }
    const asCustomer = d.role === "customer";
    const them = asCustomer ? d.offer.vendor : "The customer";
    if (draft.type === null) draft.type = asCustomer ? "status" : "shipped";
    const entries = rel ? rel.thread : [];
    const typeSelect = h("select", { onchange: (e) => { draft.type = e.target.value; } },
      MESSAGE_TYPES.map((t) => h("option", { value: t }, t)));
    typeSelect.value = draft.type;
    const text = h("textarea", { rows: 3, maxlength: 500, oninput: (e) => { draft.text = e.target.value; } }, draft.text);
    const byId = new Map(entries.map((e) => [e.id, e]));
    const answering = draft.re && byId.get(draft.re);
    const form = h(
      "form",
      { id: "message-form", novalidate: true },
      h("h2", {}, "Send a message"),
      h("p", { class: "hint" }, `Sealed to ${asCustomer ? d.offer.vendor : "the customer"} alone, on this deal's own thread.`),
      answering
        ? h("p", { class: "replying" }, `Replying to: ${threadEntryText(answering, rel)} `,
          h("button", { type: "button", class: "cancel-reply", onclick: () => { draft.re = null; render(); } }, "Not a reply"))
        : null,
      field("message-type", "Type", typeSelect),
      field("message-text", "Message", text, "Up to 500 characters."),
      h("div", { class: "actions" }, h("button", { type: "submit", id: "send-message" }, "Send")),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const fail = (id, message) => {
        form.querySelector(`#err-${id}`).textContent = message;
        const input = form.querySelector(`#${id}`);
        input.setAttribute("aria-invalid", "true");
        input.focus();
      };
      const body = { type: typeSelect.value, text: text.value.trim() };
      if (answering) body.re = draft.re;
      if (body.type === "other" && !body.text) return fail("message-text", "text: say what the message is about");
      form.querySelector("button").disabled = true;
      try {
        await api("POST", `/v1/relationships/${d.id}/messages`, body);
        draft.text = "";
        draft.re = null;
        notice = h("p", { class: "notice", role: "status" }, "Sent.");
        await render();
        document.getElementById("message-text").focus();
      } catch (ex) {
        form.querySelector("button").disabled = false;
        fail(/^type/.test(ex.message) ? "message-type" : "message-text", ex.message);
      }
    });
    view(
      h("h1", { tabindex: "-1" }, `Messages with ${asCustomer ? d.offer.vendor : "the customer"}: ${d.offer.item.title}`),
      h("p", {}, stateBadge(d.state), ` ${d.price_text} · ${d.payment_mode} · `, h("a", { href: "#/deals" }, "all deals")),
      rel
        ? entries.length
          ? h("ol", { id: "thread", class: "thread" }, entries.map((e) => h(
            "li",
            { class: `card thread-entry from-${e.from}`, "data-kind": e.kind },
            h("p", { class: "hint" }, h("strong", {}, e.from === "me" ? "You" : them), ` · ${fmtTime(e.created)} · ${e.kind}`),
            e.content && e.content.re && byId.has(e.content.re)
              ? h("p", { class: "hint in-reply-to" }, `In reply to: ${threadEntryText(byId.get(e.content.re), rel)}`)
              : null,
            h("p", { class: "thread-text" }, threadEntryText(e, rel)),
            e.from === "them" && e.kind === "deal-message" && e.content && rel.live
              ? h("button", { type: "button", class: "reply-to", onclick: () => {
                draft.re = e.id;
                render().then(() => document.getElementById("message-text").focus());
              } }, "Reply to this")
              : null,
          )))
          : h("p", { id: "thread" }, "No messages yet.")
        : h("p", { class: "muted" }, "A deal has a thread once it is confirmed."),
      notice,
      rel && rel.live ? form : rel ? h("p", { class: "muted" }, "This relationship has ended: no more messages.") : null,
    );
  };
  await render();
  live(render);
}

// --- who knows what about me ----------------------------------------------

async function privacyView() {
  let notice = null; // what the last change did, kept across live refreshes
  const render = async () => {
    const [data, rels, status] = await Promise.all([
      api("GET", "/v1/deals"), api("GET", "/v1/relationships"), api("GET", "/v1/status"),
    ]);
    const byVendor = new Map();
    const vendor = (key, name) => {
      if (!byVendor.has(key)) byVendor.set(key, { name, deals: [], told: new Map(), rels: [] });
      return byVendor.get(key);
    };
    for (const d of data.deals.filter((x) => x.role === "customer")) {
      const v = vendor(d.offer.vendor_key, d.offer.vendor);
      v.deals.push(d);
      for (const [k, x] of Object.entries(d.disclosed)) {
        if (!v.told.has(k)) v.told.set(k, new Set());
        v.told.get(k).add(x);
      }
    }
    // After the deal: what each vendor holds now (after your changes),
    // whether it acknowledged, and what it deleted (docs/daemon.md).
    for (const r of rels.relationships.filter((x) => x.role === "customer")) {
      vendor(r.vendor_key, r.vendor).rels.push(r);
    }
    const heldFields = new Set();
    const cards = [...byVendor.entries()].map(([key, v]) => {
      const now = [];
      for (const r of v.rels) {
        for (const [k, held] of Object.entries(r.holds)) {
          if (r.live && held.value !== null) heldFields.add(k);
          let how = held.acknowledged ? "" : " (not acknowledged yet)";
          if (r.deleted) how = ` (deleted ${fmtTime(r.deleted)})`;
          else if (r.forget_asked) how = " (asked to forget)";
          now.push(h("li", { class: "holds" }, h("strong", {}, k), `: ${held.value === null ? "removed" : held.value}${how}`));
        }
        if (r.delete_due && !r.deleted) {
          now.push(h("li", { class: r.overdue ? "overdue bad" : "hint" },
            `${r.overdue ? "OVERDUE: " : ""}to be deleted by ${fmtTime(r.delete_due)} (cc:delete-after-deal)`));
        }
      }
      const liveRels = v.rels.filter((r) => r.live);
      return h(
        "article",
        { class: "card vendor-knows", "data-vendor": key },
        h("h3", {}, v.name),
        h("p", { class: "hint mono" }, `vendor key ${key.slice(0, 16)}...`),
        v.told.size
          ? h("ul", {}, [...v.told.entries()].map(([k, xs]) => h("li", {}, h("strong", {}, k), `: ${[...xs].join("; ")}`)))
          : h("p", {}, "Nothing about you beyond the deals themselves."),
        now.length ? [h("p", {}, "What it holds now:"), h("ul", { class: "holds-now" }, now)] : null,
        h("p", {}, `From ${v.deals.length} deal(s): `, v.deals.flatMap((d, i) => [
          i ? ", " : "",
          d.state === "confirmed"
            ? h("a", { href: `#/deal/${d.id}`, class: "thread-link" }, `${d.offer.item.title} (${d.state}, messages)`)
            : `${d.offer.item.title} (${d.state})`,
        ])),
        h("p", { class: "hint" }, "Terms they signed: ", [...new Set(v.deals.flatMap((d) => d.offer.customer_terms))].join(", ") || "none"),
        liveRels.length
          ? h("button", {
            type: "button", class: "secondary forget",
            onclick: async (e) => {
              e.target.disabled = true;
              try {
                for (const r of liveRels) await api("POST", `/v1/relationships/${r.deal}/forget`, {});
                notice = h("p", { class: "notice", role: "status" }, `Asked ${v.name} to delete what it holds about you.`);
              } catch (ex) {
                notice = h("p", { class: "notice bad", role: "alert" }, ex.message);
              }
              await render();
            },
          }, `Ask ${v.name} to forget me`)
          : null,
      );
    });
    view(
      h("h1", { tabindex: "-1" }, "Who knows what about you"),
      h("p", { class: "muted" }, "Only the vendors you accepted learned anything, and only what you ticked for that deal. Every other vendor saw an anonymous intent."),
      status.offer_feed
        ? h("p", { id: "offer-topics", class: "hint" }, offerFeedText(status.offer_feed.source))
        : status.offer_buckets ? h("p", { id: "offer-topics", class: "hint" }, offerTopicsText(status.offer_buckets.length)) : null,
      notice,
      heldFields.size ? changeForm([...heldFields].sort(), (n) => { notice = n; render(); }) : null,
      cards.length ? h("div", { id: "who-knows" }, cards) : h("p", {}, "No vendor knows anything about you yet."),
    );
  };
  await render();
  live(render);
}

// What taking every offer from a feed means (docs/privacy.md, section 12;
// the CLI's status says the same).
function offerFeedText(source) {
  return "Your node takes every offer of the market, once, from one relay's or vendor's feed " +
    (source ? `(now ${source.slice(0, 16)}...)` : "(none connected yet)") +
    " and follows no offer topic: nothing it follows or asks for tells which intents are yours, and no topic links two of them.";
}

// What following ``n`` of the 16 offer topics means for your intents
// (docs/privacy.md, section 11; the CLI's status says the same).
function offerTopicsText(n) {
  if (n >= 16) return "Offers to your intents come on all 16 offer topics: no topic links your intents to each other.";
  return `Offers to your intents come on ${n} of 16 offer topics: two of your intents share one ${+(16 / n).toFixed(2)} times as often as two strangers' intents do. ` +
    "To follow more (up to 16, at more bandwidth), set [privacy] offer_buckets in config.toml and restart the node.";
}

// "Change my details": one change, sent to every vendor that holds the field.
function changeForm(fields, done) {
  const select = h("select", {}, fields.map((f) => h("option", { value: f }, f)));
  const value = h("input", { autocomplete: "off" });
  const form = h(
    "form",
    { id: "change-detail", novalidate: true },
    h("h2", {}, "Change a detail everywhere"),
    h("p", { class: "hint" }, "Sent sealed to every vendor that holds it, and to no other; each one's node acknowledges."),
    field("change-field", "Detail", select),
    field("change-value", "New value", value),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, "Send the change"),
      h("button", {
        type: "button", class: "secondary", id: "resend-details",
        onclick: async () => {
          try {
            const r = await api("POST", "/v1/details/resend", {});
            done(h("p", { class: "notice", role: "status" }, r.sent.length ? `Sent again to ${[...new Set(r.sent.map((x) => x.vendor))].join(", ")}.` : "Every vendor has acknowledged."));
          } catch (ex) {
            done(h("p", { class: "notice bad", role: "alert" }, ex.message));
          }
        },
      }, "Send again to those that have not acknowledged")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = form.querySelector("#err-change-value");
    err.textContent = "";
    if (!value.value.trim()) {
      err.textContent = "value: give the new value";
      value.focus();
      return;
    }
    try {
      const r = await api("POST", "/v1/details", { field: select.value, value: value.value.trim() });
      const to = [...new Set(r.sent.map((x) => x.vendor))].join(", ");
      done(h("p", { class: "notice", role: "status" }, r.sent.length ? `Sent to ${to}.` : "No vendor holds another value of it."));
    } catch (ex) {
      err.textContent = ex.message;
    }
  });
  return form;
}

// --- node and peers --------------------------------------------------------

async function nodeView() {
  const render = async () => {
    const [s, p] = await Promise.all([api("GET", "/v1/status"), api("GET", "/v1/peers")]);
    const counts = (obj) => Object.entries(obj).map(([k, v]) => `${v} ${k}`).join(", ") || "none";
    const connect = h(
      "form",
      { id: "connect-form", novalidate: true },
      field("f-peer", "Connect to a peer", h("input", { placeholder: "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooW..." }), "A multiaddr ending in /p2p/<peer id>."),
      h("button", { type: "submit" }, "Connect"),
    );
    connect.addEventListener("submit", async (e) => {
      e.preventDefault();
      const input = connect.querySelector("#f-peer");
      const err = connect.querySelector("#err-f-peer");
      err.textContent = "";
      input.removeAttribute("aria-invalid");
      try {
        await api("POST", "/v1/peers", { addr: input.value.trim() });
        await render();
      } catch (ex) {
        err.textContent = ex.message;
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    });
    view(
      h("h1", { tabindex: "-1" }, "Node and peers"),
      h(
        "dl",
        { class: "facts card" },
        h("dt", {}, "Peer id"), h("dd", { class: "mono" }, s.peer_id),
        h("dt", {}, "Addresses to share"), h("dd", {}, s.addrs.map((a) => h("div", { class: "mono" }, a))),
        h("dt", {}, "Roles"), h("dd", {}, s.roles.join(", ")),
        h("dt", {}, "Connected peers"), h("dd", { id: "connected-count" }, String(s.connected_peers)),
        h("dt", {}, "Intents"), h("dd", {}, counts(s.intents)),
        h("dt", {}, "Deals"), h("dd", {}, counts(s.deals)),
        h("dt", {}, "Store"), h("dd", {}, fmtBytes(s.store_bytes)),
        h("dt", {}, "Up"), h("dd", {}, `${Math.round(s.uptime_seconds)} s, version ${s.version}`),
        s.vendor ? [h("dt", {}, "Vendor"), h("dd", {}, `${s.vendor.name} (${s.vendor.categories.join(", ")}), ${s.vendor.offers_made} offers made`)] : null,
      ),
      h("h2", {}, "Connected"),
      p.connected.length
        ? h("ul", {}, p.connected.map((c) => h("li", { class: "mono" }, c.peer_id)))
        : h("p", {}, "No peers connected."),
      p.banned.length ? [h("h2", {}, "Banned"), h("ul", {}, p.banned.map((b) => h("li", { class: "mono" }, `${b.peer_id} (${b.seconds_left} s left)`)))] : null,
      connect,
    );
  };
  await render();
  live(render);
}

// --- vendor side -----------------------------------------------------------

// An accept waiting for the owner: what the customer accepted and told you,
// the stock left, and Confirm / Decline with a note the customer reads.
// ``typed`` keeps each note across the page's live redraws.
function answerPanel(d, stock, typed) {
  const idp = d.id.slice(0, 12);
  const textId = `answer-text-${idp}`;
  const err = h("p", { class: "error", id: `err-${textId}`, role: "alert", tabindex: "-1" });
  const input = h("input", { maxlength: 500, placeholder: "Ships tomorrow. / Sorry, sold out.", value: typed.get(d.id) || "" });
  input.addEventListener("input", () => typed.set(d.id, input.value));
  const send = async (confirm, button) => {
    err.textContent = "";
    input.removeAttribute("aria-invalid");
    for (const b of card.querySelectorAll("button")) b.disabled = true;
    try {
      await api("POST", `/v1/deals/${d.id}/${confirm ? "confirm" : "decline"}`, { text: input.value.trim() });
      const done = h("p", { class: "notice", role: "status", tabindex: "-1" }, confirm ? "Confirmed: the customer is told." : "Declined: the customer is told.");
      card.replaceChildren(done);
      done.focus(); // the keyboard stays where the panel was
      scheduleRefresh();
    } catch (ex) {
      err.textContent = ex.message;
      input.setAttribute("aria-invalid", "true");
      for (const b of card.querySelectorAll("button")) b.disabled = false;
      button.focus();
    }
  };
  const confirmButton = h("button", { type: "button", class: "confirm-deal" }, "Confirm");
  const declineButton = h("button", { type: "button", class: "danger decline-deal" }, "Decline");
  confirmButton.addEventListener("click", () => send(true, confirmButton));
  declineButton.addEventListener("click", () => send(false, declineButton));
  const told = Object.entries(d.disclosed);
  const card = h(
    "article",
    { class: "card to-answer", "data-deal": d.id, "aria-labelledby": `t-${idp}` },
    h("h3", { id: `t-${idp}` }, `${d.offer.item.title} `, h("span", { class: "state state-pending" }, "waits for you")),
    h("p", {}, h("strong", {}, d.price_text), ` · ${d.payment_mode} · ${d.offer.quantity} for the intent "${d.intent.title}"`),
    h("p", {}, "The customer told you: ", told.length ? told.map(([k, v]) => `${k}: ${v}`).join("; ") : "nothing beyond the deal"),
    h("p", { class: "hint" }, `Deliver by ${fmtTime(d.offer.deliver_by)} · you signed: ${d.offer.customer_terms.join(", ") || "no customer terms"}`,
      stock === null ? "" : ` · ${stock} in stock (catalog)`),
    d.answer_by
      ? h("p", { class: Date.now() / 1000 > d.answer_by ? "answer-by bad" : "answer-by hint" },
        `Answer by ${fmtTime(d.answer_by)}: after that the customer's node counts it as unanswered, against you.`)
      : null,
    field(textId, "Note or reason for the customer (optional)", input),
    err,
    h("div", { class: "actions" }, confirmButton, declineButton),
    h("p", { class: "hint mono" }, `deal ${idp}`),
  );
  return card;
}

const OFFERS_MADE_SHOWN = 100; // the newest; the count says how many there are

async function vendorView() {
  const typed = new Map(); // deal id -> the note being written
  const render = async () => {
    const [cat, made, deals] = await Promise.all([
      api("GET", "/v1/vendor/catalog"),
      api("GET", `/v1/vendor/offers?limit=${OFFERS_MADE_SHOWN}`),
      api("GET", "/v1/deals?role=vendor"),
    ]);
    const vendorDeals = deals.deals;
    const waiting = vendorDeals.filter((d) => d.to_answer);
    const answered = vendorDeals.filter((d) => !d.to_answer);
    const stockOf = (sku) => {
      const item = cat.items.find((it) => it.sku === sku);
      return item ? item.stock : null;
    };
    const manual = state.status && state.status.vendor && state.status.vendor.confirm === "manual";
    // Answering takes a panel away: the keyboard goes on from the list's heading.
    const active = document.activeElement;
    const wasAnswering = !!(active && active.closest && active.closest("#to-answer"));
    view(
      h("h1", { tabindex: "-1" }, `Vendor${cat.name ? ": " + cat.name : ""}`),
      h("p", { class: "muted", id: "confirm-mode" }, manual
        ? "You answer every accept yourself: it waits here until you confirm or decline it."
        : "Accepts are answered by your catalog (while stock lasts) or your bot. To answer them yourself, set confirm = \"manual\" under [vendor] in config.toml and restart the node."),
      h("h2", { id: "to-answer-title", tabindex: "-1" }, `Waiting for your answer (${waiting.length})`),
      waiting.length
        ? h("div", { id: "to-answer" }, waiting.map((d) => answerPanel(d, stockOf(d.offer.item.sku), typed)))
        : h("p", {}, "No accept waits for you."),
      h("h2", {}, `Intents answered and offers made (${made.total})`),
      made.total > made.offers.length ? h("p", { class: "muted" }, `The newest ${made.offers.length} of ${made.total}.`) : null,
      made.offers.length
        ? h("div", { class: "table-wrap" }, h("table", { id: "offers-made" },
          h("thead", {}, h("tr", {}, ["Intent", "Customer's budget", "Your offer", "Price", "State"].map((x) => h("th", { scope: "col" }, x)))),
          h("tbody", {}, made.offers.map((m) => h("tr", {},
            h("td", {}, `${m.intent.title} (${m.intent.category})`),
            h("td", {}, `${m.intent.terms.max_price_text}, ${m.intent.terms.region}`),
            h("td", {}, m.offer.item.title),
            h("td", {}, m.offer.price_text),
            h("td", {}, stateBadge(m.state === "received" ? "open" : m.state)))))))
        : h("p", {}, "No offers made yet."),
      h("h2", {}, `Deals (${answered.length})`),
      answered.length
        ? h("div", { id: "vendor-deals" }, answered.map((d) => h("article", { class: "card vendor-deal", "data-deal": d.id },
          h("h3", {}, `${d.offer.item.title} `, stateBadge(d.state)),
          h("p", {}, `${d.price_text} · ${d.payment_mode}`),
          h("p", {}, "The customer told you: ", Object.entries(d.disclosed).map(([k, v]) => `${k}: ${v}`).join("; ") || "nothing"),
          d.reply ? h("p", {}, h("strong", {}, `${d.reply.kind}: `), d.reply.text) : h("p", { class: "muted" }, "Being answered by your catalog or bot..."),
          d.state === "confirmed" ? h("p", {}, h("a", { href: `#/deal/${d.id}`, class: "thread-link" }, "Messages with the customer")) : null)))
        : h("p", {}, "No deals yet."),
      h("h2", {}, `Catalog served (${cat.items.length} items)`),
      cat.items.length
        ? h("div", { class: "table-wrap" }, h("table", { id: "catalog" },
          h("thead", {}, h("tr", {}, ["Item", "Category", "Price", "Stock", "Ships to", "Terms signed"].map((x) => h("th", { scope: "col" }, x)))),
          h("tbody", {}, cat.items.map((it) => h("tr", {},
            h("td", {}, it.title, h("div", { class: "hint mono" }, it.sku)),
            h("td", {}, it.category),
            h("td", {}, it.price_text),
            h("td", {}, String(it.stock)),
            h("td", {}, it.ships_to.join(", ")),
            h("td", {}, it.customer_terms.join(", ")))))))
        : h("p", {}, "No catalog: this node answers through an attached bot, or is not a vendor."),
    );
    if (wasAnswering) document.getElementById("to-answer-title").focus();
  };
  await render();
  live(render);
}

// --- start -----------------------------------------------------------------

function signedOut() {
  document.getElementById("live-state").textContent = "not signed in";
  view(
    h("h1", { tabindex: "-1" }, "Not signed in"),
    h("p", { class: "notice bad", id: "signed-out", role: "alert" },
      "This browser has no session with the node. Run ", h("code", {}, "intentcast open"),
      " on the machine the node runs on: it opens a one-time sign-in link."),
  );
  focusHeading();
}

async function start() {
  const began = performance.now();
  try {
    // All at once: without a session every one of them is refused alike.
    const [s, vocab, status] = await Promise.all([
      api("GET", "/v1/web/session"),
      api("GET", "/v1/vocab"),
      api("GET", "/v1/status"),
    ]);
    state.csrf = s.csrf;
    state.vocab = vocab;
    state.status = status;
    state.lastEvent = Math.max(0, status.events - 20);
  } catch (e) {
    if (e.status === 401) return signedOut();
    return showError(e);
  }
  if (state.vocab.roles.includes("vendor")) {
    for (const el of document.querySelectorAll(".vendor-only")) el.hidden = false;
    showToAnswer(state.status);
  }
  if (!state.vocab.roles.includes("customer")) {
    for (const el of document.querySelectorAll(".customer-only")) el.hidden = true;
  }
  window.addEventListener("hashchange", route);
  await route();
  document.body.dataset.ready = "1";
  document.body.dataset.readyMs = performance.now().toFixed(1); // since the navigation began
  document.body.dataset.startMs = (performance.now() - began).toFixed(1); // since the script ran
  follow();
}

document.addEventListener("DOMContentLoaded", start);
