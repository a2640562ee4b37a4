"""Random identifiers and messages, generated a whole column at a time.

The marts group errors and reviewer feedback by signature (METRICS.md), so messages come
from a few templates per case whose {placeholders} get fresh random values in every row:
they look real and vary, yet normalize to a handful of shapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import polars as pl

from orchestration.demo._columns import HEX_DIGITS, ascii_series, fmt, lookup, nulls
from orchestration.demo._platform import KIND, TRIGGER_TYPES


class RandomText:
    """Vectorized random identifiers and message fragments, `n` values per call."""

    FIRST_NAMES = ("anna", "ben", "chloe", "daniel", "emma", "felix", "hana", "kenji", "yuki")
    LAST_NAMES = ("schmidt", "tanaka", "smith", "garcia", "nguyen", "mueller", "rossi", "kim")
    DOMAINS = ("example.com", "kobe-ramen.jp", "harbourdental.com.au", "nordlicht.de", "gmail.com")
    API_HOSTS = ("api.shopify.com", "api.hubapi.com", "api.stripe.com", "api.example.com")
    RESOURCES = ("items", "orders", "contacts", "invoices", "customers", "deals", "payouts")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def hex(self, n: int, width: int) -> pl.Series:
        return ascii_series(HEX_DIGITS[self.rng.integers(0, 16, (n, width), dtype=np.uint8)])

    def uuid(self, n: int) -> pl.Series:
        nibbles = self.rng.integers(0, 16, (n, 32), dtype=np.uint8)
        nibbles[:, 12] = 4  # version 4
        nibbles[:, 16] = 8 + (nibbles[:, 16] & 3)  # RFC 4122 variant
        chars = np.full((n, 36), ord("-"), dtype=np.uint8)
        for start, stop, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
            chars[:, at : at + stop - start] = HEX_DIGITS[nibbles[:, start:stop]]
        return ascii_series(chars)

    def pick(self, n: int, options: tuple[str, ...] | list[str]) -> pl.Series:
        return lookup(options, self.rng.integers(0, len(options), n))

    def number(self, n: int, low: int, high: int) -> pl.Series:
        return pl.Series(self.rng.integers(low, high, n)).cast(pl.String)

    def ip(self, n: int) -> pl.Series:
        octets = [self.number(n, 1, 255) for _ in range(4)]
        octets[0] = self.pick(n, ("10", "172", "192", "34", "52", "85"))
        return fmt("{}.{}.{}.{}", *octets)

    def email(self, n: int) -> pl.Series:
        return fmt(
            "{}.{}@{}",
            self.pick(n, self.FIRST_NAMES),
            self.pick(n, self.LAST_NAMES),
            self.pick(n, self.DOMAINS),
        )

    def url(self, n: int) -> pl.Series:
        return fmt(
            "https://{}/v1/{}/{}",
            self.pick(n, self.API_HOSTS),
            self.pick(n, self.RESOURCES),
            self.number(n, 1, 99_999),
        )


# Message templates: {name} placeholders get fresh random values from FIELDS per row, so
# messages vary while normalizing (METRICS.md's error signatures) to a few shapes each.
FIELDS: dict[str, Callable[[RandomText, int], pl.Series]] = {
    "url": RandomText.url,
    "ip": RandomText.ip,
    "uuid": RandomText.uuid,
    "email": RandomText.email,
    "hex": lambda t, n: t.hex(n, 24),
    "int": lambda t, n: t.number(n, 1, 100_000),
    "small": lambda t, n: t.number(n, 1, 40),
    "status": lambda t, n: t.pick(n, ("503", "502", "500", "504")),
    "port": lambda t, n: t.pick(n, ("443", "5432", "8080")),
    "word": lambda t, n: t.pick(n, ("n/a", "tbd", "twelve", "EUR 12,50", "none", "pending")),
    "domain": lambda t, n: t.pick(n, RandomText.DOMAINS),
}
ERROR_MESSAGES = {  # per node kind; outages produce the first httpRequest message
    "httpRequest": (
        "Request to {url} failed with status {status}",
        "connect ECONNREFUSED {ip}:{port}",
        "Request to {url} failed with status 429: rate limit exceeded, retry after {small} s",
        "Response from {url} is not valid JSON: Unexpected token '<' at position {int}",
        "Unauthorized (401) calling {url}: token of {email} expired",
    ),
    "serviceTask": (
        "Record 'inv-{int}' not found for customer {uuid}",
        'duplicate key value violates unique constraint "orders_pkey": '
        "Key (order_id)=({int}) already exists",
        "Field 'amount' expected a number but got \"{word}\" in item {int}",
        "connect ECONNREFUSED {ip}:5432",
    ),
    "aiTask": (
        "Rate limit reached for gpt-4o in organization org-{hex} on tokens per min: "
        "Limit 30000, Used {int}, Requested {int}",
        "This model's maximum context length is 128000 tokens; your messages resulted in "
        "{int} tokens",
        "Model output is not valid JSON: expected ',' or '}' at position {int}",
        "Anthropic API error 529: Overloaded (request id req_{hex})",
    ),
    "email": (
        "SMTP 550 5.1.1 <{email}>: Recipient address rejected: User unknown",
        "Connection to smtp.{domain}:587 timed out after {int} ms",
    ),
    "subProcess": (
        "Sub-workflow execution {uuid} failed at node 'n{small}'",
        "Sub-workflow {hex} not found or inactive",
    ),
    "ifElse": ('Condition could not be evaluated: "{word}" is not a number',),
    "loop": ("Cannot read properties of undefined (reading 'items') at item {int}",),
    "trigger": ("Payload rejected: signature mismatch for request {uuid}",),
}
FEEDBACK_SENTENCES = (
    "The tone is too formal for this customer.",
    "Tone feels off; please make it friendlier.",
    "Missing invoice number on page {small}.",
    "Invoice total doesn't match the PO ({int} vs {int}).",
    "Pricing for item {small} is wrong!",
    "Please fix the formatting of the table.",
    "Formatting is broken in section {small}; bullets are missing.",
    "Missing the customer's VAT ID.",
    "Wrong currency: pricing should be in EUR, not USD.",
    "Too long - cut it to {small} words, please.",
    "The summary misses the key point about delivery dates.",
    "Attachment missing: resend with the signed contract.",
    "Duplicate of ticket #{int}.",
    "Good draft, but the tone in paragraph {small} is too pushy.",
    "Numbers in the pricing table are rounded incorrectly.",
    "Greeting uses the wrong name.",
    "Missing pricing details for the enterprise tier?",
    "Invoice date is in the wrong format.",
)
ACK_NOTES = (  # alert acknowledgements
    "Known upstream outage, vendor notified.",
    "Looking into it.",
    "False alarm: deploy window.",
    "Fixed credentials, re-running failed executions.",
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(template: str, text: RandomText, n: int) -> pl.Series:
    """`n` messages from one template, each with its own random field values."""
    literals = [
        part.replace("{", "{{").replace("}", "}}") for part in _PLACEHOLDER.split(template)[::2]
    ]
    fields = [FIELDS[name](text, n) for name in _PLACEHOLDER.findall(template)]
    return fmt("{}".join(literals), *fields) if fields else pl.repeat(template, n, eager=True)


def fill_choices(templates: tuple[str, ...], choice: np.ndarray, text: RandomText) -> pl.Series:
    """Row i: templates[choice[i]] filled; NULL where choice is out of range (e.g. -1)."""
    messages = nulls(len(choice))
    for i, template in enumerate(templates):
        rows = np.flatnonzero(choice == i)
        if len(rows):
            messages = messages.scatter(rows, _fill(template, text, len(rows)))
    return messages


def error_details(
    kind: np.ndarray, timeout: np.ndarray, outage: np.ndarray, text: RandomText
) -> pl.Series:
    """'TIMEOUT' or a realistic message per failing node kind; outages: HTTP status errors."""
    messages = pl.repeat("TIMEOUT", len(kind), dtype=pl.String, eager=True)
    is_trigger = kind < len(TRIGGER_TYPES)
    for kind_name, templates in ERROR_MESSAGES.items():
        of_kind = is_trigger if kind_name == "trigger" else kind == KIND[kind_name]
        rows = np.flatnonzero(of_kind & ~timeout)
        choice = np.where(outage[rows], 0, text.rng.integers(0, len(templates), len(rows)))
        if len(rows):
            messages = messages.scatter(rows, fill_choices(templates, choice, text))
    return messages


def feedback(n: int, text: RandomText) -> pl.Series:
    """One or two reviewer sentences."""
    sentences = len(FEEDBACK_SENTENCES)
    first_choice = text.rng.integers(0, sentences, n)
    second_choice = (first_choice + text.rng.integers(1, sentences, n)) % sentences  # another
    second_choice[text.rng.random(n) >= 0.4] = -1
    first = fill_choices(FEEDBACK_SENTENCES, first_choice, text)
    second = fill_choices(FEEDBACK_SENTENCES, second_choice, text)
    both = [pl.lit(first), pl.lit(second)]
    return pl.select(pl.concat_str(both, separator=" ", ignore_nulls=True)).to_series()
