"""The clearing house: money, positions and margin (rules in ``docs/clearing-rules.md``).

Money is integer micro-dollars everywhere in this package; prices are integer price
units of the product and quantities whole contracts. Modules:

- ``index``: index sources (simulated two-factor model, CSV files) and the exact
  distribution of index moves;
- ``accounts``, ``ledger``: members, accounts and the double-entry cash ledger;
- ``contracts``, ``positions``: contract columns and novation of engine fills;
- ``margin``, ``span``, ``span_risk``, ``span_reference``: the SPAN-like margin;
- ``money``, ``busdays``, ``stats``, ``errors``: units, day counts, tests, errors;
- ``house``: the clearing house on the pipeline (``exchange.pipeline``), built from
  ``risk_gate`` (pre-trade), ``post_trade`` (booking), ``settlement`` and ``cycle``
  (settlement prices, variation margin, final settlement), ``margin_calls``,
  ``defaults``, ``waterfall`` and ``default_fund`` (default management), ``columns``,
  ``handlers`` and ``ops`` (clearing commands and reject codes), ``records`` (what it
  did, with amounts).

``exchange`` never imports this package.
"""
