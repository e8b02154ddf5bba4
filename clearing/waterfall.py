"""The default waterfall: who covers a defaulter's loss, in which order (rule CR-30).

A defaulter's loss is covered strictly in this order, each layer used up before the next
is touched:

1. the defaulter's margin (its cash at the CCP when it was declared in default);
2. its member's default-fund contribution;
3. the CCP's own capital (skin in the game);
4. the surviving members' default-fund contributions, pro rata to them;
5. assessments on the surviving members, pro rata to their contributions and capped at
   ``assessment_percent`` % of each one's contribution (275% by default, as at CME);
6. whatever is left is an uncovered, recorded default loss.

``plan_waterfall`` is pure: it returns the steps; the clearing house posts them. Money
in µ$ (int). ``allocate_pro_rata`` splits an amount exactly by largest remainders.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from clearing.ledger import CCP, assessment_account, cash_account, default_fund_account
from clearing.records import Layer

UNCOVERED = "uncovered"


def allocate_pro_rata(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` (≥ 0) into integer shares proportional to ``weights`` (≥ 0).

    Each share is the floor of its exact share, and the units left over go one each to
    the largest remainders (ties to the earlier weight), so the shares sum to ``amount``
    exactly and none exceeds the ceiling of its exact share. O(n log n).
    """
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("amount and weights must be >= 0")
    total = sum(weights)
    if amount == 0:
        return [0] * len(weights)
    if total == 0:
        raise ValueError("cannot split a positive amount over zero weights")
    shares = [amount * w // total for w in weights]
    rests = [amount * w % total for w in weights]
    left = amount - sum(shares)
    for i in sorted(range(len(weights)), key=lambda i: (-rests[i], i))[:left]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class Step:
    """One layer's (or one member's) part: ``amount`` µ$ of ``available`` from ``payer``."""

    layer: Layer
    payer: str
    member: int
    amount: int
    available: int


def plan_waterfall(
    account: int,
    member: int,
    loss: int,
    margin: int,
    own_fund: int,
    ccp: int,
    survivor_funds: Mapping[int, int],
    assessment_percent: int,
) -> list[Step]:
    """Return the steps covering ``loss`` µ$ of ``account`` (of ``member``) by CR-30.

    ``margin`` is the defaulter's margin, ``own_fund`` its member's contribution, ``ccp``
    the CCP capital available, ``survivor_funds`` each surviving member's contribution
    (µ$, all ≥ 0). Layers are listed in order, each with its ``available`` amount, until
    the loss is covered; the last step is ``UNCOVERED`` if it never is.
    """
    if min(loss, margin, own_fund, ccp, *survivor_funds.values(), 0) < 0:
        raise ValueError("waterfall inputs must be >= 0")
    steps: list[Step] = []
    left = loss

    def take(layer: Layer, payer: str, who: int, available: int) -> None:
        nonlocal left
        used = min(left, available)
        steps.append(Step(layer, payer, who, used, available))
        left -= used

    take(Layer.DEFAULTER_MARGIN, cash_account(account), member, margin)
    if left:
        take(Layer.DEFAULTER_FUND, default_fund_account(member), member, own_fund)
    if left:
        take(Layer.CCP_CAPITAL, CCP, -1, ccp)
    members = sorted(m for m, f in survivor_funds.items() if f > 0)
    funds = [survivor_funds[m] for m in members]
    for layer, caps in (
        (Layer.SURVIVORS_FUND, funds),
        (Layer.ASSESSMENTS, [f * assessment_percent // 100 for f in funds]),
    ):
        if not left or not members:
            continue
        shares = allocate_pro_rata(min(left, sum(caps)), caps)
        name = default_fund_account if layer is Layer.SURVIVORS_FUND else assessment_account
        for m, share, cap in zip(members, shares, caps, strict=True):
            steps.append(Step(layer, name(m), m, share, cap))
        left -= sum(shares)
    if left:
        steps.append(Step(Layer.UNCOVERED, UNCOVERED, -1, left, left))
    return steps


def check_strict_order(steps: Sequence[Step]) -> None:
    """Raise ``AssertionError`` unless each layer was used only after every earlier one
    was exhausted (CR-30). Used by tests and by the clearing house after each plan."""
    by_layer: dict[Layer, tuple[int, int]] = {}
    for s in steps:
        used, avail = by_layer.get(s.layer, (0, 0))
        by_layer[s.layer] = (used + s.amount, avail + s.available)
    layers = sorted(by_layer)
    for earlier, later in itertools.pairwise(layers):
        if by_layer[later][0] > 0 and by_layer[earlier][0] != by_layer[earlier][1]:
            raise AssertionError(
                f"layer {later.name} used while {earlier.name} had "
                f"{by_layer[earlier][1] - by_layer[earlier][0]} µ$ left"
            )
    if [s.layer for s in steps] != sorted(s.layer for s in steps):
        raise AssertionError("waterfall steps out of layer order")
