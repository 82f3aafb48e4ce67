// The query page (query.html): examples, a query sent to the endpoint, the answer as a table (and a bar chart when
// it has one label column and one numeric column), readable errors, and the query kept in the page's URL.
// Everything from the server or the data is shown with textContent or as SVG attributes, never as HTML.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("query-config").textContent);
  const t = config.messages;
  const lang = document.documentElement.lang || "ja";
  const SVG = "http://www.w3.org/2000/svg";
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const NUMERIC = new Set(["integer", "decimal", "double", "float", "int", "long", "short", "byte",
    "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt",
    "unsignedLong", "unsignedShort", "unsignedByte"].map((name) => XSD + name));
  // The result formats offered for download, as `format=` names.
  const DOWNLOADS = {
    solutions: [["JSON", "json"], ["XML", "xml"], ["CSV", "csv"], ["TSV", "tsv"]],
    graph: [["Turtle", "turtle"], ["N-Triples", "nt"], ["JSON-LD", "json-ld"], ["RDF/XML", "rdf"]],
  };
  const numbers = new Intl.NumberFormat(lang);
  // Longer addresses are refused by many servers (ours takes ~65,000 bytes, others 8 KB): a longer query is not put
  // in the address, and its downloads are sent by POST.
  const MAX_URL = 8000;
  const CLIENT_TIMEOUT_MS = 120000;  // the endpoint's own time limit answers long before this
  const textarea = document.getElementById("query");
  const openingQuery = textarea.value;
  let current = null;  // the request of the query running now; an answer to an earlier one is dropped
  let lastRun = null;  // the query text last run

  function say(key, values) {
    return t[key].replace(/\{(\w+)\}/g, (whole, name) => (name in (values || {}) ? String(values[name]) : whole));
  }

  function element(tag, text, attributes) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    return node;
  }

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function shortIri(iri) {
    for (const [prefix, namespace] of config.prefixes) {  // the dataset's prefixes (rdf.PREFIXES), in their order
      if (iri.startsWith(namespace) && iri.length > namespace.length) return prefix + iri.slice(namespace.length);
    }
    if (iri.startsWith(config.base)) return iri.slice(config.base.length);
    return iri;
  }

  // The page of this site that describes an IRI, in this page's language: what `Html.href` (ryoiki_ld/site/html.py)
  // links, from `iris.document_path`: the vocabulary's document, a resource's document, or a published file.
  function pageOf(iri) {
    const hash = iri.indexOf("#");
    const bare = hash < 0 ? iri : iri.slice(0, hash);
    const fragment = hash < 0 ? "" : iri.slice(hash);
    if (bare === config.vocabulary) return config.home + config.vocabulary_document + ".html" + fragment;
    if (bare.startsWith(config.id_space)) {
      const rest = bare.slice(config.id_space.length);
      const slash = rest.indexOf("/");
      if (slash > 0) {
        const kind = rest.slice(0, slash);
        const segments = rest.slice(slash + 1).split("/");
        if (segments.length <= 1 + (config.nested[kind] || 0) && !segments.includes("")) {
          return config.home + "doc/" + rest + ".html" + fragment;
        }
      }
      return null;
    }
    if (bare.startsWith(config.base) && config.files.includes(bare.slice(config.base.length))) {
      return config.root + bare.slice(config.base.length) + fragment;
    }
    return null;
  }

  function isNumeric(term) {
    return term && term.type === "literal" && NUMERIC.has(term.datatype) && term.value.trim() !== "" &&
      Number.isFinite(Number(term.value));
  }

  function cell(term) {
    const td = element("td");
    if (!term) return td;
    if (term.type === "uri") {
      const href = pageOf(term.value) || (/^https?:\/\//i.test(term.value) ? term.value : null);
      td.appendChild(href ? element("a", shortIri(term.value), { href: href, title: term.value }) : element("span", term.value));
    } else if (term.type === "literal") {
      if (isNumeric(term)) {
        td.className = "num";
        td.appendChild(element("span", term.value));
      } else {
        td.appendChild(element("span", term.value, term["xml:lang"] ? { lang: term["xml:lang"] } : {}));
      }
      if (term.datatype && !term.datatype.endsWith("#string") && !term.datatype.endsWith("#langString")) {
        td.appendChild(element("span", " " + shortIri(term.datatype), { class: "datatype" }));
      }
    } else {
      td.textContent = term.type === "bnode" ? "_:" + term.value : JSON.stringify(term.value);
    }
    return td;
  }

  function labelOf(term) {
    if (!term) return "";
    if (term.type === "bnode") return "_:" + term.value;
    return term.type === "uri" ? shortIri(term.value) : term.value;
  }

  // East Asian wide and full-width characters: two cells of a monospace font, about two letters' width.
  const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{20000}-\u{3fffd}]/u;

  // A label cut to fit `units` (a wide character counts two), with an ellipsis when cut.
  function fitted(text, units) {
    let used = 0;
    let out = "";
    for (const ch of text) {
      used += WIDE.test(ch) ? 2 : 1;
      if (used > units) return out + "…";
      out += ch;
    }
    return out;
  }

  // A number as the result gives it: grouped when a JavaScript number holds it exactly, else its own digits.
  function shownNumber(term) {
    const v = Number(term.value);
    return Number.isInteger(v) && !Number.isSafeInteger(v) ? term.value : numbers.format(v);
  }

  // One label column and one numeric column, every row with both: [label variable, number variable], else null.
  function chartColumns(vars, bindings) {
    if (vars.length !== 2 || bindings.length < 2 || bindings.length > 200) return null;
    for (const [label, value] of [[vars[0], vars[1]], [vars[1], vars[0]]]) {
      const fits = (b) => isNumeric(b[value]) && Number(b[value].value) >= 0 && b[label] && !isNumeric(b[label]);
      if (bindings.every(fits)) return [label, value];
    }
    return null;
  }

  function barChart(label, value, bindings) {
    const rowHeight = 22;
    const labelWidth = 200;
    const width = 720;
    const top = 4;
    const values = bindings.map((b) => Number(b[value].value));
    const max = Math.max(...values, 1);
    const room = width - labelWidth - 120;
    const title = say("query_chart", { label: "?" + label, value: "?" + value });
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${top + rowHeight * bindings.length + 4}`,
      role: "img",
      "aria-label": title,
    });
    bindings.forEach((b, i) => {
      const y = top + i * rowHeight;
      const v = values[i];
      const bar = svg("g", { class: "bar" });
      bar.appendChild(svg("text", { x: labelWidth - 8, y: y + 15, "text-anchor": "end" }, fitted(labelOf(b[label]), 32)));
      bar.appendChild(svg("rect", { x: labelWidth, y: y + 3, width: Math.max((v / max) * room, 1), height: rowHeight - 6 }));
      bar.appendChild(svg("text", { class: "value", x: labelWidth + (v / max) * room + 6, y: y + 15 }, shownNumber(b[value])));
      bar.appendChild(svg("title", {}, `${labelOf(b[label])}: ${b[value].value}`));
      chart.appendChild(bar);
    });
    const figure = element("figure", null, { class: "chart" });
    const scroll = element("div", null, { class: "svg-scroll" });
    scroll.appendChild(chart);
    figure.appendChild(scroll);
    figure.appendChild(element("figcaption", title));
    return figure;
  }

  function showSolutions(data) {
    const results = document.getElementById("results");
    if (typeof data.boolean === "boolean") {
      results.appendChild(element("p", t[data.boolean ? "query_true" : "query_false"], { class: "boolean" }));
      return;
    }
    const vars = data.head.vars;
    const bindings = data.results.bindings;
    const columns = chartColumns(vars, bindings);
    if (columns) results.appendChild(barChart(columns[0], columns[1], bindings));
    const scroll = element("div", null, { class: "table-scroll" });
    const table = element("table");
    const head = table.createTHead().insertRow();
    for (const name of vars) head.appendChild(element("th", "?" + name, { scope: "col" }));
    const body = table.createTBody();
    for (const binding of bindings) {
      const row = body.insertRow();
      for (const name of vars) row.appendChild(cell(binding[name]));
    }
    scroll.appendChild(table);
    results.appendChild(scroll);
  }

  function endpointUrl(params) {
    return new URL(config.endpoint + "?" + new URLSearchParams(params).toString(), window.location.href).href;
  }

  function endpointName() {
    return new URL(config.endpoint, window.location.href).href;
  }

  // Download links; for a query too long for an address, buttons that send it by POST.
  function setDownloads(query, kind) {
    const box = document.getElementById("downloads");
    box.querySelectorAll("a, form").forEach((node) => node.remove());
    for (const [label, format] of DOWNLOADS[kind]) {
      const url = endpointUrl({ query: query, format: format });
      if (url.length <= MAX_URL) {
        box.appendChild(element("a", label, { href: url, rel: "nofollow" }));
        continue;
      }
      const form = element("form", null, { method: "post", action: config.endpoint, class: "download" });
      form.appendChild(element("input", null, { type: "hidden", name: "query", value: query }));
      form.appendChild(element("input", null, { type: "hidden", name: "format", value: format }));
      form.appendChild(element("button", label, { type: "submit" }));
      box.appendChild(form);
    }
    box.hidden = false;
  }

  // The query in the page's URL, so that the address (and the share link) re-runs it; a query too long for an
  // address leaves the address without one.
  function remember(query) {
    const url = new URL(window.location.href);
    url.hash = "";
    url.search = "?" + new URLSearchParams({ query: query }).toString();
    const fits = url.href.length <= MAX_URL;
    if (!fits) url.search = "";
    if (url.href !== window.location.href) window.history.pushState({ query: fits ? query : null }, "", url.href);
    linkTo(fits ? url : null);
  }

  // The share link, and the language switch, carry the query (none: `url` is null, or has no query).
  function linkTo(url) {
    const share = document.getElementById("share");
    const long = document.getElementById("share-too-long");
    const carries = url !== null && url.search !== "";
    share.hidden = !carries;
    if (carries) share.href = url.href;
    long.hidden = url !== null;
    const other = document.querySelector("a.lang-switch");
    const search = carries ? url.search : "";
    if (other && other.search !== search) other.search = search;
  }

  // The caret line under a query line: the line's own tabs and wide characters kept, so that it lines up.
  function caretLine(text, column) {
    let pad = "";
    for (const ch of Array.from(text).slice(0, Math.max(column - 1, 0))) {
      pad += ch === "\t" ? "\t" : WIDE.test(ch) ? "\u3000" : " ";
    }
    return pad + "^";
  }

  function detail(message) {
    return element("p", message.trim(), { class: "detail", lang: "en" });
  }

  // A readable message for an answer that is not a result: the endpoint's limits and syntax errors; an address
  // that answers with something other than SPARQL (a static host without an endpoint) says so.
  function explain(status, response, message, isText) {
    status.className = "error";
    status.replaceChildren();
    const limit = response.headers.get("Query-Limit-Exceeded") || "";
    const cut = /^(\w+);\s*limit=([0-9.]+)/.exec(limit);
    const syntax = isText ? /line (\d+), column (\d+)/.exec(message) : null;
    let headline = say("query_error_refused", { status: response.status });
    if (!isText) headline = say("query_error_no_endpoint", { endpoint: endpointName() });
    else if (cut && cut[1] === "time") headline = say("query_error_time", { seconds: cut[2] });
    else if (cut && cut[1] === "rows") headline = say("query_error_rows", { limit: numbers.format(Number(cut[2])) });
    else if (syntax) headline = say("query_error_syntax", { line: syntax[1], column: syntax[2] });
    status.appendChild(element("p", headline, { class: "headline" }));
    if (isText) status.appendChild(detail(message));
    if (syntax) {
      const lines = textarea.value.split("\n");
      const line = Number(syntax[1]);
      const column = Number(syntax[2]);
      if (line >= 1 && line <= lines.length) {
        const text = lines[line - 1];
        const gutter = String(line).length;
        status.appendChild(element("pre", `${line} | ${text}\n${" ".repeat(gutter)} | ${caretLine(text, column)}`, { class: "position" }));
        // The server counts characters; the editor's offsets count UTF-16 units.
        const before = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
        const start = before + Array.from(text).slice(0, Math.max(column - 1, 0)).join("").length;
        textarea.focus();
        textarea.setSelectionRange(start, Math.min(start + (text.codePointAt(start - before) > 0xffff ? 2 : 1), textarea.value.length));
      }
    }
  }

  // A result in one of the endpoint's formats (formats.SOLUTIONS and GRAPHS), not some other page at that address.
  function isSparqlAnswer(type) {
    return config.answers.includes(type.split(";")[0].trim().toLowerCase());
  }

  async function run(event, fromAddress) {
    if (event) event.preventDefault();
    const query = textarea.value;
    const status = document.getElementById("status");
    const results = document.getElementById("results");
    if (current) current.abort();  // a newer run replaces one still waiting for its answer
    const request = new AbortController();
    current = request;
    lastRun = query;
    const timer = setTimeout(() => request.abort("timeout"), CLIENT_TIMEOUT_MS);
    results.replaceChildren();
    document.getElementById("downloads").hidden = true;
    status.className = "";
    status.textContent = t.query_running;
    results.setAttribute("aria-busy", "true");
    if (!fromAddress) remember(query);
    const started = performance.now();
    try {
      const response = await fetch(config.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "Accept": "application/sparql-results+json, text/turtle;q=0.9",
        },
        body: new URLSearchParams({ query: query }).toString(),
        signal: request.signal,
      });
      const type = response.headers.get("Content-Type") || "";
      const body = await response.text();
      if (request !== current) return;
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      if (!response.ok || !isSparqlAnswer(type)) {
        explain(status, response, body, type.startsWith("text/plain"));
        return;
      }
      const solutions = type.startsWith("application/sparql-results+json");
      const data = solutions ? JSON.parse(body) : null;
      if (solutions) showSolutions(data);
      else results.appendChild(element("pre", body));
      const count = Number(response.headers.get("Result-Count"));
      let key = solutions ? (count === 1 ? "query_row" : "query_rows") : "query_triples";
      if (data && typeof data.boolean === "boolean") key = "query_answered";
      status.textContent = say(key, { count: numbers.format(count), seconds: seconds });
      setDownloads(query, solutions ? "solutions" : "graph");
    } catch (error) {
      if (request !== current) return;
      status.className = "error";
      const headline = request.signal.reason === "timeout" ? "query_error_timeout" : "query_error_network";
      status.replaceChildren(element("p", say(headline, { endpoint: endpointName() }), { class: "headline" }),
        detail(String(error)));
    } finally {
      clearTimeout(timer);
      if (request === current) {
        current = null;
        results.removeAttribute("aria-busy");
      }
    }
  }

  // An example replaces the query; a query the reader had edited can be brought back.
  function showExamples() {
    const select = document.getElementById("example");
    const restore = document.getElementById("restore");
    let loaded = textarea.value;
    let kept = null;
    select.addEventListener("change", () => {
      const chosen = config.examples.find((e) => e.file === select.value);
      if (!chosen) return;
      if (textarea.value !== loaded) kept = textarea.value;
      textarea.value = loaded = chosen.query;
      document.getElementById("example-description").textContent = chosen.description;
      restore.hidden = kept === null;
    });
    restore.addEventListener("click", () => {
      if (kept === null) return;
      textarea.value = loaded = kept;
      kept = null;
      restore.hidden = true;
      select.value = "";
      document.getElementById("example-description").textContent = "";
      textarea.focus();
    });
  }

  async function showLimits() {
    const response = await fetch(new URL("health", new URL(config.endpoint, window.location.href)));
    if (!response.ok) return;
    const limits = (await response.json()).limits;
    if (!limits) return;
    document.getElementById("limits").textContent = say("query_limits", {
      seconds: limits.time_limit_s,
      rows: numbers.format(limits.max_rows),
    });
  }

  // The page as its address says: the query there, run; no query there, the page as it opened.
  function fromAddress(runIt) {
    const given = new URLSearchParams(window.location.search).get("query");
    if (given === null) {
      if (current) current.abort();
      current = lastRun = null;
      textarea.value = openingQuery;
      document.getElementById("results").replaceChildren();
      document.getElementById("status").replaceChildren();
      document.getElementById("status").className = "";
      document.getElementById("downloads").hidden = true;
      linkTo(new URL(window.location.href));
      return;
    }
    if (given === lastRun) return;  // the same query (a move to an anchor of the page): nothing to do
    textarea.value = given;
    linkTo(new URL(window.location.href));
    if (runIt) run(null, true);
  }

  document.getElementById("query-form").addEventListener("submit", (event) => run(event, false));
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) run(event, false);
  });
  window.addEventListener("popstate", () => fromAddress(true));
  showExamples();
  showLimits().catch(() => {});
  fromAddress(true);
})();
