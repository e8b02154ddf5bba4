"""Market designs as data (sim/validation/design.py): the shipped ones and bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.validation.design import DesignError, load_design, shipped_designs

MARKET_1 = """
name = "m"
[[buyers]]
count = 6
values = [102, 97, 92, 86, 83, 78]
[[sellers]]
count = 6
costs = [34, 46, 58, 69, 83, 95]
"""


def test_the_shipped_designs_are_markets_1_and_2_with_the_papers_figures() -> None:
    m1, m2 = (load_design(p) for p in shipped_designs())
    assert (m1.name, m2.name) == ("market 1", "market 2")
    for d, p_star in ((m1, 83), (m2, 69)):
        assert len(d.buyers) == len(d.sellers) == 6
        assert d.max_surplus() == 1020
        assert d.equilibrium() == (30, p_star, p_star)
        assert d.paper is not None and d.paper.equilibrium_price == p_star
        assert d.zi_u_closed_form() == pytest.approx(d.paper.zi_u_efficiency)


def test_groups_of_traders_expand_and_defaults_apply(tmp_path: Path) -> None:
    f = tmp_path / "d.toml"
    f.write_text(MARKET_1 + "[[buyers]]\nvalues = [150]\n")
    d = load_design(f)
    assert len(d.buyers) == 7 and d.buyers[-1] == (150,)
    assert (d.price_min, d.price_max, d.paper) == (1, 200, None)
    assert d.zi_u_closed_form() is None  # 37 buyer units, 36 seller units: no closed form


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("buyer = 1\n" + MARKET_1, "key 'buyer': unknown key"),
        (MARKET_1.replace("values = [102", 'values = ["x"'), "key 'buyers[0].values[0]': expected an integer"),
        (MARKET_1.replace("95]", "250]"), "key 'sellers[0].costs[5]': 250 is outside 1..200"),
        (MARKET_1.replace("count = 6\nvalues", "count = true\nvalues"), "key 'buyers[0].count'"),
        (MARKET_1.replace("[[sellers]]", "[[seller]]"), "key 'seller': unknown key"),
        (MARKET_1.split("[[sellers]]")[0], "key 'sellers': missing"),
        (MARKET_1.replace("costs =", "cost ="), "key 'sellers[0].cost': unknown key"),
        (MARKET_1 + "[paper]\nequilibrium_price = 80\n", "key 'paper.equilibrium_price': 80 does not clear"),
        (MARKET_1 + "[paper]\nzi_c_efficiency = 120\n", "key 'paper.zi_c_efficiency': 120 is outside"),
        ("price_min = 10\nprice_max = 5\n" + MARKET_1, "key 'price_max': 5 is outside 10.."),
        ("[[buyers]\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_malformed_design_is_refused_naming_the_bad_key(
    tmp_path: Path, text: str, message: str
) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(DesignError, match=r"bad\.toml") as err:
        load_design(f)
    assert message in str(err.value)


def test_a_missing_design_file_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(DesignError, match="cannot read"):
        load_design(tmp_path / "nowhere.toml")
