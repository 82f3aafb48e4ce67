"""link: which municipalities and 2020 secondary medical areas a coverage area's printed text names.

Link discovery, not mapping: the result is a table (`data/area_links.csv` in the build) that the
declarative mappings publish. It never guesses. The text is read left to right; each part must
match exactly one known name of the network's prefecture (a secondary medical area, with or without
医療圏 / 保健医療圏 / 圏域 …, or a municipality or ward), or it stays unresolved and the area keeps
only its printed label. The coverage type decides which kind wins when a name is both (大阪市).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from .config import Paths
from .extract import csv_rows

SEPARATORS = "、，,・ 　－と"
SUFFIXES = ("二次医療圏", "保健医療圏", "医療圏", "構想区域", "圏域", "地域", "管内", "市内", "内", "の一部")
CONNECTORS = ("及び",)
PREFERRED_KIND = {"secondary_medical_area": "secondary_medical_area", "prefecture": "secondary_medical_area"}


@dataclass(frozen=True)
class Entity:
    kind: str  # prefecture | secondary_medical_area | municipality
    code: str
    name: str


@dataclass(frozen=True)
class Resolution:
    links: tuple[tuple[Entity, str], ...]  # (entity, the text that named it)
    unresolved: tuple[str, ...]

    @property
    def status(self) -> str:
        if self.links and not self.unresolved:
            return "resolved"
        return "partial" if self.links else "unresolved"


class Gazetteer:
    """Names of the secondary medical areas and municipalities of each prefecture."""

    def __init__(self, paths: Paths) -> None:
        self.names: dict[str, dict[str, set[Entity]]] = defaultdict(lambda: defaultdict(set))
        self.wards: dict[str, dict[str, Entity]] = defaultdict(dict)  # city code → ward suffix → ward
        self.pref_names: dict[str, str] = {}
        whole = [
            ln.strip()
            for ln in paths.whole_prefecture_phrases.read_text(encoding="utf-8").splitlines()
            if ln.strip()[:1] not in ("", "#")
        ]
        for r in csv_rows(paths.prefectures):
            code, name = r["pref_code"], r["name_ja"]
            self.pref_names[code] = name
            for phrase in whole:
                self.names[code][fold(phrase.replace("{pref}", name))].add(Entity("prefecture", code, name))
        for r in csv_rows(paths.secondary_medical_areas):
            self.names[r["pref_code"]][fold(r["area_name"])].add(
                Entity("secondary_medical_area", r["area_code"], r["area_name"])
            )
        cities = {}
        for r in csv_rows(paths.municipalities):
            entity = Entity("municipality", r["muni_code"], r["name"])
            self.names[r["pref_code"]][fold(r["name"])].add(entity)
            if r["type"] == "designated_city":
                cities[r["muni_code"]] = r["name"]
            if r["type"] == "designated_city_ward":
                city = r["parent_designated_city_code"]
                self.wards[city][r["name"][len(cities.get(city, "")) :]] = entity

    def resolve(self, text: str, pref_code: str, area_type: str) -> Resolution:
        names = self.names[pref_code]
        printed, text = text, fold(text)
        preferred = PREFERRED_KIND.get(area_type)
        pref_name = self.pref_names.get(pref_code, "")
        links: list[tuple[Entity, str]] = []
        unresolved: list[str] = []
        i, n = 0, len(text)
        while i < n:
            if text[i] in SEPARATORS:
                i += 1
                continue
            if text.startswith("（", i):
                i = _after_parenthesis(text, i)
                continue
            start = i
            entity, length = self._match(text, i, names, preferred, links)
            if entity is None and pref_name and text.startswith(pref_name, i):
                i += len(pref_name)  # 山形県村山地域, 鳥取県西部
                entity, length = self._match(text, i, names, preferred, links)
            if entity is None:
                end = _next_separator(text, i)
                unresolved.append(printed[start:end])
                i = end
                continue
            i += length
            while suffix := next((s for s in (*SUFFIXES, *CONNECTORS) if text.startswith(s, i)), None):
                i += len(suffix)
            if entity not in [e for e, _ in links]:
                links.append((entity, printed[start:i]))
        return Resolution(tuple(links), tuple(unresolved))

    def _match(
        self, text: str, i: int, names: dict[str, set[Entity]], preferred: str | None, links: list
    ) -> tuple[Entity | None, int]:
        """The longest known name at `text[i:]`, if it stands for exactly one entity."""
        for length in range(min(len(text) - i, 20), 0, -1):
            candidates = names.get(text[i : i + length])
            if not candidates:
                candidates = self._ward_of_previous_city(text[i : i + length], links)
            if not candidates:
                continue
            end = i + length
            if (
                all(e.kind == "prefecture" for e in candidates)
                and end < len(text)
                and text[end] not in SEPARATORS + "（"
            ):
                continue  # 山形県村山地域 names 村山, not the whole of 山形県
            if len(candidates) > 1 and preferred:
                candidates = {e for e in candidates if e.kind == preferred} or candidates
            if len(candidates) == 1:
                return next(iter(candidates)), length
            return None, 0  # ambiguous: never guess
        return None, 0

    def _ward_of_previous_city(self, part: str, links: list[tuple[Entity, str]]) -> set[Entity]:
        """A bare ward (南区) right after a ward of a designated city (札幌市中央区、南区) is that city's ward."""
        if not part.endswith("区") or not links:
            return set()
        previous = links[-1][0]
        for wards in self.wards.values():
            if previous in wards.values() and part in wards:
                return {wards[part]}
        return set()


def fold(text: str) -> str:
    """Spelling variants that do not change a place name (茅ケ崎 / 茅ヶ崎)."""
    return text.replace("ヶ", "ケ")


def _after_parenthesis(text: str, i: int) -> int:
    end = text.find("）", i)
    return len(text) if end < 0 else end + 1


def _next_separator(text: str, i: int) -> int:
    while i < len(text) and text[i] not in SEPARATORS and not text.startswith("（", i):
        i += 1
    return i


def resolve_table(table: pd.DataFrame, gazetteer: Gazetteer) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Links of every network's coverage area, and a per-network status table."""
    links, statuses = [], []
    for row in table.itertuples(index=False):
        res = gazetteer.resolve(row.area_text, row.pref_code, row.area_type)
        for entity, matched in res.links:
            links.append({"no": row.no, "kind": entity.kind, "code": entity.code, "matched_text": matched})
        statuses.append(
            {
                "no": row.no,
                "area_type": row.area_type,
                "status": res.status,
                "unresolved_text": " | ".join(res.unresolved),
            }
        )
    link_df = pd.DataFrame(links, columns=["no", "kind", "code", "matched_text"])
    return link_df.sort_values(["no", "kind", "code"], kind="stable").reset_index(drop=True), pd.DataFrame(statuses)


def resolution_rates(statuses: pd.DataFrame) -> pd.DataFrame:
    """Per coverage type: how many areas resolve fully, partly, or not at all."""
    counts = statuses.groupby(["area_type", "status"]).size().unstack(fill_value=0)
    for status in ("resolved", "partial", "unresolved"):
        if status not in counts:
            counts[status] = 0
    counts = counts[["resolved", "partial", "unresolved"]]
    counts["total"] = counts.sum(axis=1)
    counts["resolved_pct"] = (100 * counts["resolved"] / counts["total"]).round(1)
    return counts.sort_values("total", ascending=False)
