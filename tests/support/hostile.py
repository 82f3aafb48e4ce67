"""Markup in the source text: every page must print it as text, every RDF document keep it exactly."""

# Markup in the source where a network's name and its area are printed (row 1): the site must show it as text.
HOSTILE_NAME = '道南<script>alert("name")</script>&amp;協議会'
HOSTILE_AREA = '函館市を中心とした<img src=x onerror="alert(1)">道南地域'
