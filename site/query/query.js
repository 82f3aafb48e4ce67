// The query page: examples, running a query against `sparql`, and showing the answer.
// Everything from the server or the data is shown with textContent, never as HTML.
"use strict";

const PREFIXES = {
  "rld:": "https://w3id.org/ryoiki-ld/def#",
  "rdf:": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
  "rdfs:": "http://www.w3.org/2000/01/rdf-schema#",
  "owl:": "http://www.w3.org/2002/07/owl#",
  "xsd:": "http://www.w3.org/2001/XMLSchema#",
  "skos:": "http://www.w3.org/2004/02/skos/core#",
  "wd:": "http://www.wikidata.org/entity/",
  "sac:": "http://data.e-stat.go.jp/lod/sac/",
};
// The formats each kind of result can be downloaded in, as `format=` names.
const DOWNLOADS = {
  solutions: [["JSON", "json"], ["XML", "xml"], ["CSV", "csv"], ["TSV", "tsv"]],
  graph: [["Turtle", "turtle"], ["N-Triples", "nt"], ["JSON-LD", "json-ld"], ["RDF/XML", "rdf"]],
};
let baseIri = "https://w3id.org/ryoiki-ld/";

function element(tag, text, attributes) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  return node;
}

function shortIri(iri) {
  for (const [prefix, namespace] of Object.entries(PREFIXES)) {
    if (iri.startsWith(namespace)) return prefix + iri.slice(namespace.length);
  }
  if (iri.startsWith(baseIri)) return iri.slice(baseIri.length);
  return iri;
}

function cell(term) {
  const td = element("td");
  if (!term) return td;
  if (term.type === "uri") {
    let href = null;
    if (term.value.startsWith(baseIri)) href = term.value.slice(baseIri.length);  // this server dereferences it
    else if (/^https?:\/\//.test(term.value)) href = term.value;
    td.appendChild(href ? element("a", shortIri(term.value), { href: href }) : element("span", term.value));
  } else if (term.type === "literal") {
    td.appendChild(element("span", term.value, term["xml:lang"] ? { lang: term["xml:lang"] } : {}));
    if (term.datatype && !term.datatype.endsWith("#string")) {
      td.appendChild(element("span", " " + shortIri(term.datatype), { class: "datatype" }));
    }
  } else {
    td.textContent = term.type === "bnode" ? "_:" + term.value : JSON.stringify(term.value);
  }
  return td;
}

function showTable(data) {
  const results = document.getElementById("results");
  if (typeof data.boolean === "boolean") {
    results.appendChild(element("p", data.boolean ? "true (はい)" : "false (いいえ)", { class: "boolean" }));
    return;
  }
  const vars = data.head.vars;
  const table = element("table");
  const head = table.createTHead().insertRow();
  for (const name of vars) head.appendChild(element("th", "?" + name, { scope: "col" }));
  const body = table.createTBody();
  for (const binding of data.results.bindings) {
    const row = body.insertRow();
    for (const name of vars) row.appendChild(cell(binding[name]));
  }
  results.appendChild(table);
}

function setDownloads(query, kind) {
  const box = document.getElementById("downloads");
  box.replaceChildren();
  for (const [label, format] of DOWNLOADS[kind]) {
    const url = "sparql?" + new URLSearchParams({ query: query, format: format }).toString();
    box.appendChild(element("a", label, { href: url, rel: "nofollow" }));
  }
}

async function run(event) {
  if (event) event.preventDefault();
  const query = document.getElementById("query").value;
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const button = document.getElementById("run");
  results.replaceChildren();
  document.getElementById("downloads").replaceChildren();
  status.className = "";
  status.textContent = "実行中… / running…";
  button.disabled = true;
  const started = performance.now();
  try {
    const response = await fetch("sparql", {
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
      const limit = response.headers.get("Query-Limit-Exceeded");
      status.className = "error";
      status.textContent = `${response.status} ${response.statusText}${limit ? " (" + limit + ")" : ""}: ${await response.text()}`;
      return;
    }
    const count = response.headers.get("Result-Count");
    const solutions = type.startsWith("application/sparql-results+json");
    if (solutions) {
      showTable(await response.json());
    } else {
      results.appendChild(element("pre", await response.text()));
    }
    status.textContent = `${count} 件 (${count} ${solutions ? "results" : "triples"}), ${seconds} s`;
    setDownloads(query, solutions ? "solutions" : "graph");
  } catch (error) {
    status.className = "error";
    status.textContent = "接続できません / cannot reach the endpoint: " + error;
  } finally {
    button.disabled = false;
  }
}

async function loadExamples() {
  const select = document.getElementById("example");
  const response = await fetch("query/examples.json");
  const examples = await response.json();
  for (const example of examples) {
    select.appendChild(element("option", example.title, { value: example.file }));
  }
  select.addEventListener("change", () => {
    const chosen = examples.find((e) => e.file === select.value);
    if (!chosen) return;
    document.getElementById("query").value = chosen.query;
    document.getElementById("example-description").textContent = chosen.description;
  });
}

async function loadLimits() {
  const response = await fetch("health");
  if (!response.ok) return;
  const health = await response.json();
  baseIri = health.base_iri || baseIri;
  const limits = health.limits;
  document.getElementById("limits").textContent =
    `1クエリの上限: ${limits.time_limit_s} 秒、${limits.max_rows.toLocaleString()} 件 · ` +
    `Limits per query: ${limits.time_limit_s} s and ${limits.max_rows.toLocaleString()} results; ` +
    "a query over a limit is refused with a message, never cut short.";
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("form").addEventListener("submit", run);
  document.getElementById("query").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) run(event);
  });
  loadExamples().catch(() => {});
  loadLimits().catch(() => {});
  const given = new URLSearchParams(window.location.search).get("query");
  if (given) {
    document.getElementById("query").value = given;
    run();
  }
});
