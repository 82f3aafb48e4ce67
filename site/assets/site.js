// ryoiki-ld site: sorting and filtering of the networks table. The table is complete without this script;
// the script only reorders and hides rows that are already in the page. Nothing is fetched.
"use strict";

(function () {
  const lang = document.documentElement.lang || "ja";
  const collator = new Intl.Collator(lang, { numeric: true, sensitivity: "base" });

  function cellValue(row, index) {
    const cell = row.cells[index];
    return cell.dataset.v !== undefined ? cell.dataset.v : cell.textContent.trim();
  }

  function sortTable(table, index, kind, descending) {
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort(function (a, b) {
      const x = cellValue(a, index);
      const y = cellValue(b, index);
      if (x === "" || y === "") {
        return (x === "") - (y === "");  // unknown values last, whichever the direction
      }
      const order = kind === "number" ? Number(x) - Number(y) : collator.compare(x, y);
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    const headers = Array.from(table.tHead.rows[0].cells);
    headers.forEach(function (th, index) {
      const button = th.querySelector("button");
      if (!button) return;
      button.addEventListener("click", function () {
        const descending = th.getAttribute("aria-sort") === "ascending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        sortTable(table, index, th.dataset.kind, descending);
      });
    });
  });

  function normalise(text) {
    return text.normalize("NFKC").toLowerCase();
  }

  document.querySelectorAll("form.filters").forEach(function (form) {
    const table = document.getElementById(form.dataset.table);
    const output = form.querySelector("output");
    const rows = Array.from(table.tBodies[0].rows);
    rows.forEach(function (row) {
      row.dataset.search = normalise(row.textContent + " " + (row.dataset.text || ""));
    });

    function apply() {
      const query = normalise(form.elements.q.value.trim());
      const pref = form.elements.pref.value;
      const coverage = form.elements.coverage.value;
      const meets = form.elements.meets.checked;
      let shown = 0;
      rows.forEach(function (row) {
        const visible = (!query || row.dataset.search.includes(query))
          && (!pref || row.dataset.pref === pref)
          && (!coverage || row.dataset.coverage === coverage)
          && (!meets || row.dataset.meets === "1");
        row.hidden = !visible;
        if (visible) shown += 1;
      });
      output.value = String(shown);
    }

    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    apply();
  });
})();
