"""The report's own figures and what the tests know of its table, defined once.

The narrative of the MHLW report states the summary figures that the extraction, the graph, the site and the
queries must each reproduce; the outcomes per criterion follow from the table and the criteria (tests compare
them with a direct pandas reading too).
"""

from __future__ import annotations

BASE = "https://w3id.org/ryoiki-ld/"  # the default base IRI
RLD = "https://w3id.org/ryoiki-ld/def#"

NETWORKS = 218  # 「地連ＮＷ２１８を対象」
# Networks per coverage type, as the report counts them (row 61, Yamagata's combined network, included).
COVERAGE_TYPES = {
    "prefecture": 27,  # ◎ 都道府県全域
    "secondary_medical_area": 104,  # ○ 二次医療圏
    "municipality": 32,  # △ 市町村
    "sub_municipality": 15,  # ▲ 市町村未満
    "other": 40,  # □ その他
}
ONE_DISCLOSING = 59  # 開示医療機関が１の地連ＮＷ (criterion (ア) not met)
ONE_ACCESSING = 20  # アクセス医療機関が１の地連ＮＷ (criterion (エ) not met)
NO_OWN_FUNDING = 79  # 会費等の自主財源がない地連ＮＷ (criterion (オ) not met)

# Outcomes per criterion: (met, not met, not assessable).
OUTCOMES = {
    "a": (158, ONE_DISCLOSING, 1),  # row 169: disclosing unknown
    "b": (0, 0, NETWORKS),
    "c": (0, 0, NETWORKS),
    "d": (193, ONE_ACCESSING, 5),  # rows 114, 124, 169, 200, 217: accessing unknown
    "e": (138, NO_OWN_FUNDING, 1),  # row 61: neither 有 nor なし printed
    "f": (0, 0, NETWORKS),
    "g": (0, 0, NETWORKS),
}
# Networks met on all of the criteria the survey can assess ((ア), (エ), (オ)): the landing page's figure.
MEETING_ALL_ASSESSABLE = 100
# Networks with no criterion not met and at least one met (a criterion not assessable for a network is left out).
MEETING_EVERY_ASSESSABLE_FOR_THEM = 106
