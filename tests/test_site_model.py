"""site.model: the site's own words must come in both languages."""

from __future__ import annotations

import pytest

from ryoiki_ld.errors import SourceError
from ryoiki_ld.site.model import load_text


def test_a_message_without_both_languages_stops_the_build(tmp_path):
    messages = tmp_path / "messages.toml"
    messages.write_text('[ok]\nja = "はい"\nen = "yes"\n\n[half]\nja = "半分"\n', encoding="utf-8")
    with pytest.raises(SourceError, match="half"):
        load_text(messages)
