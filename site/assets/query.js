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
  const PREFIXES = {
    "rld:": config.vocabulary + "#",
    "rdf:": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs:": "http://www.w3.org/2000/01/rdf-schema#",
    "owl:": "http://www.w3.org/2002/07/owl#",
    "xsd:": XSD,
    "skos:": "http://www.w3.org/2004/02/skos/core#",
    "qb:": "http://purl.org/linked-data/cube#",
    "dcat:": "http://www.w3.org/ns/dcat#",
    "wd:": "http://www.wikidata.org/entity/",
    "sac:": "http://data.e-stat.go.jp/lod/sac/",
  };
  // The result formats offered for download, as `format=` names.
  const DOWNLOADS = {
    solutions: [["JSON", "json"], ["XML", "xml"], ["CSV", "csv"], ["TSV", "tsv"]],
    graph: [["Turtle", "turtle"], ["N-Triples", "nt"], ["JSON-LD", "json-ld"], ["RDF/XML", "rdf"]],
  };
  const numbers = new Intl.NumberFormat(lang);

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
    for (const [prefix, namespace] of Object.entries(PREFIXES)) {
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
    if (bare === config.vocabulary) return config.home + "doc/def.html" + fragment;
    const idSpace = config.base + "id/";
    if (bare.startsWith(idSpace)) {
      const rest = bare.slice(idSpace.length);
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
      const href = pageOf(term.value) || (/^https?:\/\//.test(term.value) ? term.value : null);
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
    return term.type === "uri" ? shortIri(term.value) : term.value;
  }

  // One label column and one numeric column, every row with both: [label variable, number variable], else null.
  function chartColumns(vars, bindings) {
    if (vars.length !== 2 || bindings.length < 2 || bindings.length > 200) return null;
    for (const [label, value] of [[vars[0], vars[1]], [vars[1], vars[0]]]) {
      if (bindings.every((b) => isNumeric(b[value]) && b[label] && !isNumeric(b[label]))) return [label, value];
    }
    return null;
  }

  function barChart(label, value, bindings) {
    const rowHeight = 22;
    const labelWidth = 200;
    const width = 720;
    const top = 4;
    const values = bindings.map((b) => Number(b[value].value));
    const max = Math.max(...values.map((v) => Math.abs(v)), 1);
    const room = width - labelWidth - 90;
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
      bar.appendChild(svg("text", { x: labelWidth - 8, y: y + 15, "text-anchor": "end" }, labelOf(b[label]).slice(0, 32)));
      bar.appendChild(svg("rect", { x: labelWidth, y: y + 3, width: Math.max((Math.abs(v) / max) * room, 1), height: rowHeight - 6 }));
      bar.appendChild(svg("text", { class: "value", x: labelWidth + (Math.abs(v) / max) * room + 6, y: y + 15 }, numbers.format(v)));
      bar.appendChild(svg("title", {}, `${labelOf(b[label])}: ${b[value].value}`));
      chart.appendChild(bar);
    });
    const figure = element("figure", null, { class: "chart" });
    figure.appendChild(chart);
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
    return config.endpoint + "?" + new URLSearchParams(params).toString();
  }

  function setDownloads(query, kind) {
    const box = document.getElementById("downloads");
    box.querySelectorAll("a").forEach((a) => a.remove());
    for (const [label, format] of DOWNLOADS[kind]) {
      box.appendChild(element("a", label, { href: endpointUrl({ query: query, format: format }), rel: "nofollow" }));
    }
    box.hidden = false;
  }

  // The query in the page's URL, so that the address (and the share link) re-runs it.
  function remember(query) {
    const url = new URL(window.location.href);
    url.search = "?" + new URLSearchParams({ query: query }).toString();
    if (url.href !== window.location.href) window.history.pushState({ query: query }, "", url.href);
    linkTo(url);
  }

  // The share link, and the language switch, carry the query.
  function linkTo(url) {
    const share = document.getElementById("share");
    share.href = url.href;
    share.hidden = false;
    const other = document.querySelector("a.lang-switch");
    if (other) other.search = url.search;
  }

  // A readable message for an answer that is not a result: the endpoint's limits and syntax errors.
  function explain(status, response, message) {
    status.className = "error";
    status.replaceChildren();
    const limit = response.headers.get("Query-Limit-Exceeded") || "";
    const cut = /^(\w+);\s*limit=(.+)$/.exec(limit);
    const syntax = /line (\d+), column (\d+)/.exec(message);
    let headline = say("query_error_refused", { status: response.status });
    if (cut && cut[1] === "time") headline = say("query_error_time", { limit: cut[2] });
    else if (cut && cut[1] === "rows") headline = say("query_error_rows", { limit: numbers.format(Number(cut[2])) });
    else if (syntax) headline = say("query_error_syntax", { line: syntax[1], column: syntax[2] });
    status.appendChild(element("p", headline, { class: "headline" }));
    status.appendChild(element("p", message.trim(), { class: "detail", lang: "en" }));
    if (syntax) {
      const textarea = document.getElementById("query");
      const lines = textarea.value.split("\n");
      const line = Number(syntax[1]);
      const column = Number(syntax[2]);
      if (line >= 1 && line <= lines.length) {
        const text = lines[line - 1];
        status.appendChild(element("pre", `${line} | ${text}\n${" ".repeat(String(line).length)} | ${" ".repeat(Math.max(column - 1, 0))}^`, { class: "position" }));
        const start = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0) + Math.min(column - 1, text.length);
        textarea.setSelectionRange(start, Math.min(start + 1, textarea.value.length));
      }
    }
  }

  async function run(event, keep) {
    if (event) event.preventDefault();
    const query = document.getElementById("query").value;
    const status = document.getElementById("status");
    const results = document.getElementById("results");
    const button = document.getElementById("run");
    results.replaceChildren();
    document.getElementById("downloads").hidden = true;
    status.className = "";
    status.textContent = t.query_running;
    button.disabled = true;
    if (!keep) remember(query);
    const started = performance.now();
    try {
      const response = await fetch(config.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "Accept": "application/sparql-results+json, text/turtle;q=0.9",
        },
        body: new URLSearchParams({ query: query }).toString(),
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok) {
        explain(status, response, await response.text());
        return;
      }
      const solutions = type.startsWith("application/sparql-results+json");
      if (solutions) showSolutions(await response.json());
      else results.appendChild(element("pre", await response.text()));
      const count = response.headers.get("Result-Count");
      status.textContent = say(solutions ? "query_rows" : "query_triples", {
        count: count === null ? "?" : numbers.format(Number(count)),
        seconds: seconds,
      });
      setDownloads(query, solutions ? "solutions" : "graph");
    } catch (error) {
      status.className = "error";
      status.replaceChildren(element("p", t.query_error_network, { class: "headline" }),
        element("p", String(error), { class: "detail", lang: "en" }));
    } finally {
      button.disabled = false;
    }
  }

  function showExamples() {
    const select = document.getElementById("example");
    select.addEventListener("change", () => {
      const chosen = config.examples.find((e) => e.file === select.value);
      if (!chosen) return;
      document.getElementById("query").value = chosen.query;
      document.getElementById("example-description").textContent = chosen.description;
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

  function fromAddress(runIt) {
    const given = new URLSearchParams(window.location.search).get("query");
    if (given === null) return;
    document.getElementById("query").value = given;
    linkTo(new URL(window.location.href));
    if (runIt) run(null, true);
  }

  document.getElementById("query-form").addEventListener("submit", (event) => run(event, false));
  document.getElementById("query").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) run(event, false);
  });
  window.addEventListener("popstate", () => fromAddress(true));
  showExamples();
  showLimits().catch(() => {});
  fromAddress(true);
})();
