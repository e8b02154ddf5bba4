"""Reference data: currencies and instruments."""

from __future__ import annotations

from gateway.dispatch import REGISTRY, Call, Params
from gateway.errors import INVALID_INSTRUMENT, RpcError
from gateway.market_views import InstrumentView, instrument_view


class InstrumentsParams(Params, frozen=True, kw_only=True):
    currency: str = "any"
    """``any``, ``USD`` or a product code (``H100``)."""
    kind: str = "future"
    expired: bool = False


class InstrumentParams(Params, frozen=True, kw_only=True):
    instrument_name: str


USD = {
    "currency": "USD",
    "currency_long": "US Dollar",
    "coin_type": "FIAT",
    "fee_precision": 2,
    "min_confirmations": 0,
    "min_withdrawal_fee": 0.0,
    "withdrawal_fee": 0.0,
    "withdrawal_priorities": [],
}


@REGISTRY.method("public/get_currencies", Params)
async def get_currencies(call: Call, p: Params) -> list[dict[str, object]]:
    """Return the one settlement currency, USD."""
    return [USD]


@REGISTRY.method("public/get_instruments", InstrumentsParams)
async def get_instruments(call: Call, p: InstrumentsParams) -> list[InstrumentView]:
    """Return the listed (or, ``expired``, the expired) futures, front month first."""
    reg = call.gw.instruments
    products = reg.products_matching(p.currency)
    if p.kind not in ("future", "any"):
        return []
    pool = reg.expired if p.expired else reg.by_name
    listings = [x for x in pool.values() if products is None or x.contract.product in products]
    listings.sort(key=lambda x: (x.contract.product, x.contract.month_index))
    return [instrument_view(x) for x in listings]


@REGISTRY.method("public/get_instrument", InstrumentParams)
async def get_instrument(call: Call, p: InstrumentParams) -> InstrumentView:
    """Return one instrument, live or expired."""
    listing = call.gw.instruments.find(p.instrument_name)
    if listing is None:
        raise RpcError(
            INVALID_INSTRUMENT, f"no instrument {p.instrument_name!r}", "instrument_name"
        )
    return instrument_view(listing)
