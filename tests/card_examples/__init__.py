"""One example per card builder, per feature: tests/unit/test_cards_schema.py validates every `EXAMPLES`.

A feature's cards get a module here (`EXAMPLES: list[tuple[str, Callable[[], Card]]]`); the schema
test finds it without further edits. Cards as actually sent are validated too, by the fake Bot
Connector in every test that uses it (tests/support/card_check.py).
"""
