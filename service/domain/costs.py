"""What provider calls cost: a model's prices as configured, and a job's cost as shown.

Pure types. A model's price lives in the providers file (`[providers.NAME.prices."MODEL"]`,
service/providers/base.py `ProviderKind.prices`); a job's cost is counted per call from
the usage the answer reports (pipeline/run.py), in whole nano-dollars so every worker of
a sharded job adds its part to the job hash with HINCRBY (store/codec.py decodes it);
the API shows it in US dollars.
"""

from __future__ import annotations

import msgspec

# Costs are counted in nano-dollars (1e-9 USD): integers add atomically in Redis, and a
# token of a $0.02-per-million model is still 20 of them. Rounded up per call, so the sum
# of a job's calls never shows less than was spent.
NANOS_PER_USD = 1_000_000_000
TOKENS_PER_PRICE_UNIT = 1_000_000  # prices are per million tokens
# The most a million tokens may cost in a providers file: a typo's guard, 10x the dearest model.
MAX_PRICE = 10_000.0


class Price(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """`[providers.NAME.prices."MODEL"]`: what one model costs, in US dollars per million
    tokens (`input` for the prompt, `output` for the answer), and the share of that price
    its batch endpoint takes off (`batch_discount`, 0.5 for half price)."""

    # Checked by `problems` (msgspec's own messages would not name the model).
    input: float | None = None
    output: float | None = None
    batch_discount: float = 0.0

    def problems(self) -> list[str]:
        """What is wrong with it, each naming its field ([] when it is usable)."""
        out = []
        for field in ("input", "output"):
            value = getattr(self, field)
            if value is None:
                out.append(f"{field} is required (US dollars per million tokens)")
            elif not 0 <= value <= MAX_PRICE:
                out.append(f"{field} must be within 0..{MAX_PRICE:g} (US dollars per million tokens), not {value:g}")
        if not 0 <= self.batch_discount <= 1:
            out.append(f"batch_discount must be within 0..1 (0.5: half price), not {self.batch_discount:g}")
        return out

    def nanos(self, tokens_in: int, tokens_out: int, *, batch: bool = False) -> int:
        """The cost of one call, in nano-dollars, rounded up."""
        usd_micro = tokens_in * (self.input or 0.0) + tokens_out * (self.output or 0.0)  # USD x 1e6
        if batch:
            usd_micro *= 1.0 - self.batch_discount
        nanos = usd_micro * (NANOS_PER_USD / TOKENS_PER_PRICE_UNIT)
        whole = int(nanos)
        return whole + (1 if nanos > whole else 0)


def usd(nanos: int) -> float:
    """Nano-dollars as US dollars, rounded to the nano-dollar."""
    return round(nanos / NANOS_PER_USD, 9)


class Cost(msgspec.Struct):
    """What a job has spent so far at the configured prices (every shard's calls).

    `usd` in total, `per_kept_record_usd` (None before the first kept record), by
    generator (`provider/model`) and by stage (`generation`: the recipe's own calls;
    `judge`: the judge stage's and a recipe's judge model's). `unpriced_calls` counts
    answered calls to models the providers file gives no price for: they count as 0.
    The shared response cache (a job's `cache`): `cache_hits` answers it gave (no
    request sent, nothing spent), `cache_misses` requests it could not answer (sent, and
    their answers stored), `saved_usd` what the hits would have cost. While a job with a
    target runs: `remaining_usd` and `remaining_seconds`, projected from what it spent
    and how long it took per kept record so far (None before its first record).
    Batch mode (a job's `deadline`): `batch_calls` calls answered through a provider's
    batch API (charged at its batch discount), `batch_online` batched requests their
    batch left unanswered (it expired or was cancelled), sent online instead.
    """

    usd: float = 0.0
    per_kept_record_usd: float | None = None
    generators: dict[str, float] = {}
    stages: dict[str, float] = {}
    unpriced_calls: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    saved_usd: float = 0.0
    remaining_usd: float | None = None
    remaining_seconds: float | None = None
    batch_calls: int = 0
    batch_online: int = 0
