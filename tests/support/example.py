"""The worked example of a network's own data, `examples/my-network.ttl`, that the validate tests check."""

from ryoiki_ld.config import ROOT

EXAMPLE = ROOT / "examples" / "my-network.ttl"
